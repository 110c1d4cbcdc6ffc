// Package store keeps devtools events in a short-retention bbolt file that
// never sits in a public directory.
//
// The recorder appends every redacted event here (Append, AppendEncoded),
// the stream replays from here when a console resumes (Since,
// SinceEncoded), the HTTP routes and the offline console query it (List,
// Get, Correlated, Stats), and `beignet-devtools purge` and `export` (on a
// file, or through the app's devtools route) prune and export it (Do,
// Export, Purge, CompactInPlace).
//
// # Location and permissions
//
// DefaultPath is <working directory>/.beignet/devtools.db. Open refuses a
// path inside a folder a web server would serve (see CheckPath): a folder
// named as in PublicNames anywhere, a build-output folder (dist, build, out,
// assets) below the working directory, a common document root, or one of
// Options.PublicDirs. It judges what is served, not what is named: an app
// checked out under /srv/build/myapp keeps its default store. The path is
// checked both as written and with the links of its nearest existing
// ancestor resolved (symlinks, and junctions on Windows), so ./data ->
// ./public/x is caught; Windows drive letters, UNC paths and
// case-insensitive names are understood. The *PublicPathError names the
// path, the folder, and a path that would be accepted. New folders are created 0700 and the file
// 0600; on Windows, where modes mean nothing, with an access list that
// lets in only the owner, SYSTEM and Administrators, inheriting nothing
// from the parent folder. An existing file with any group or other
// permission bit (on Windows: an access-list entry that lets anyone else
// read or write, such as Everyone, Users or Authenticated Users) is refused
// with ErrPermissions rather than fixed: a wider mode means something
// widened it, the store cannot know who read the file since, and quietly
// narrowing it would hide that; the error gives the one-line fix (chmod,
// or icacls on Windows).
//
// # Layout
//
// Three buckets: meta (schema version, event count, sweep mark), events (key: the
// 16-byte time-ordered event ID; value: the event JSON exactly as
// event.Marshal wrote it, the same bytes as on the wire) and requests (key:
// requestId + 0x00 + event ID; the correlation index, so Correlated and
// List with a RequestID do not scan). The events bucket fills its pages
// completely (FillPercent 1.0): keys only ever arrive at the end.
// A file whose schema is newer than SchemaVersion is refused, never
// rewritten.
//
// # Retention
//
// Defaults: 24 hours, 100,000 events, 512 MiB (Options). Every Append
// deletes, in its own transaction, up to max(1024, 2×batch) of the oldest
// events that are past MaxAge or beyond MaxEvents, so retention keeps up
// without a goroutine and at a bounded cost per call. Purge and Do delete
// in chunks, one short write transaction each, collecting keys
// before deleting them; the chunk (250 to 10,000 events, starting at 2,000)
// adapts to the measured transaction time, aiming at 20 ms, so the writer
// waits no longer than that between chunks even on a slow disk. Index entries
// of deleted events are removed by a sweep in index-key order (a contiguous
// run of pages per transaction, rather than one random page per entry):
// explicit purges finish a full sweep before returning; automatic retention
// advances a rolling sweep by a bounded step per Append, only while a mark
// in the meta bucket (written with the deletions, so it survives restarts)
// says stale entries may exist. Correlated skips
// entries whose event is already gone.
//
// When a write would grow the file past MaxSize, the store deletes its
// oldest events (in small chunks, until at least MaxSize/16 or twice
// the batch is freed) and retries the write once; it also keeps a reserve
// of free pages by trimming early once the file passes 90% of the cap.
//
// # Privacy requests
//
// Do (PurgeRequest) and Export select events by a Selection: a query in
// the console's filter language (actor:ada@example.com, tenant:acme,
// req:ID, free words), an age, kinds, and optionally every event sharing a
// requestId or traceId with those. Fields match exactly, ignoring case, so
// an actor match does not select adam@... for ada@.... The selection reads
// the records up to the age cutoff in one read transaction but decodes
// only those that hold the query's literal text (a vectorised byte
// search), so selecting one subject among 100,000 events costs a small
// fraction of decoding them all (BenchmarkErase100k measures both). Do deletes the selected
// events and their index entries in chunks and, for a match, compacts the
// file: an erasure leaves none of their bytes in it.
//
// # Erasure and compaction
//
// bbolt neither shrinks its file nor zeroes freed pages: a purged event's
// bytes stay in the file until the page is reused. Compact (to a new file)
// and CompactInPlace copy only live records into a new file, fsync it and
// rename it over the old one, so after purge + compaction no byte of a
// purged event remains in the file. Compaction runs automatically after a
// purge (explicit, or automatic every 256 Appends that deleted something)
// once free pages make up at least Options.CompactFreeRatio (default 0.5)
// of the file and at least MinAutoCompactBytes (4 MiB). A process that
// dies while compacting leaves its copy at CompactTempPath; the next
// read-write Open removes it.
//
// # Caveats
//
//   - Erasure is about the file: the old file's blocks are unlinked, not
//     overwritten, and may survive on the disk (or in snapshots and
//     backups) until the filesystem reuses them.
//   - Purge works to the millisecond (IDs carry milliseconds): events in
//     olderThan's own millisecond are kept. Purge with a zero time purges
//     everything.
//   - Retention deletes by ID order, which is record order; an event
//     appended with an old Time but a fresh ID lives as long as its ID.
//   - List with selective filters reads records until it fills a page, so
//     its cost grows with the events it passes over; Stats reads every
//     record's header.
//   - CompactInPlace holds writers for the whole rewrite (about a second
//     per few hundred MB); automatic compaction runs inside Append or Purge.
//   - One process writes a file at a time (bbolt's lock). Another process
//     gets ErrLocked after Options.Timeout and should go through the
//     running app's devtools route instead.
//   - A requestId longer than MaxIndexedRequestID bytes is not indexed.
//   - bbolt maps the file into memory; a file truncated or damaged while
//     open (by another program) could crash the process. Open checks the
//     header and the length first, and bbolt's panics and memory faults on
//     damaged pages are turned into ErrCorrupt in every store call; a
//     panic inside a goroutine of bbolt's own cannot be caught, which is
//     why the store has bbolt write its freelist at every commit rather
//     than rebuild it at Open.
package store
