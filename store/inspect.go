package store

import (
	"encoding/binary"
	"fmt"
	"hash/fnv"
	"io"
	"os"
)

// bbolt's on-disk meta page: a 16-byte page header, then magic, version,
// page size, flags, root bucket (page id, sequence), freelist page id, high
// water page id, txid and a FNV-64a checksum of the fields before it, all in
// native byte order.
const (
	boltMagic      = 0xED0CDAED
	boltVersion    = 2
	pageHeaderSize = 16
	metaSize       = 64
)

type boltMeta struct {
	magic, version, pageSize uint32
	pgid, txid               uint64
	valid                    bool
}

func parseMeta(b []byte) (boltMeta, bool) {
	if len(b) < pageHeaderSize+metaSize {
		return boltMeta{}, false
	}
	m := b[pageHeaderSize : pageHeaderSize+metaSize]
	e := binary.NativeEndian
	bm := boltMeta{
		magic:    e.Uint32(m[0:]),
		version:  e.Uint32(m[4:]),
		pageSize: e.Uint32(m[8:]),
		pgid:     e.Uint64(m[40:]),
		txid:     e.Uint64(m[48:]),
	}
	if bm.magic != boltMagic {
		return bm, false
	}
	h := fnv.New64a()
	h.Write(m[:56])
	bm.valid = bm.version == boltVersion && h.Sum64() == e.Uint64(m[56:])
	return bm, true
}

// inspectFile checks an existing, non-empty file before bbolt maps it:
// bbolt can fault (SIGBUS) on a file shorter than its header says, and its
// own errors do not say what to do. It returns nil for a plausible bbolt
// file, ErrNotDatabase or ErrCorrupt otherwise.
func inspectFile(path string, f *os.File, size int64) error {
	buf := make([]byte, 4096)
	n, err := f.ReadAt(buf, 0)
	if err != nil && err != io.EOF {
		return fmt.Errorf("store: read %s: %w", path, err)
	}
	buf = buf[:n]
	var metas []boltMeta
	sawMagic := false
	if m, ok := parseMeta(buf); ok {
		sawMagic = true
		metas = append(metas, m)
	}
	// The second meta page sits one page in; the page size is unknown when
	// the first meta is unreadable, so try the sizes bbolt supports.
	for ps := int64(1024); ps <= 1<<24 && ps < size; ps <<= 1 {
		if len(metas) > 0 && metas[0].valid && ps != int64(metas[0].pageSize) {
			continue
		}
		b := make([]byte, pageHeaderSize+metaSize)
		k, _ := f.ReadAt(b, ps)
		if m, ok := parseMeta(b[:k]); ok {
			sawMagic = true
			metas = append(metas, m)
			break
		}
	}
	if !sawMagic {
		return fmt.Errorf("%w: %s is not a bbolt database (no bbolt header); move it aside or choose another path", ErrNotDatabase, path)
	}
	var best *boltMeta
	for i := range metas {
		if metas[i].valid && (best == nil || metas[i].txid > best.txid) {
			best = &metas[i]
		}
	}
	if best == nil {
		return fmt.Errorf("%w: %s has a bbolt header but no valid meta page (damaged or from another bbolt version); move it aside, a new store will be created", ErrCorrupt, path)
	}
	want := int64(best.pgid) * int64(best.pageSize)
	if size < 2*int64(best.pageSize) || size < want {
		return fmt.Errorf("%w: %s is truncated: %d bytes on disk, its header says %d (copied while written, or the disk filled up?); move it aside, a new store will be created",
			ErrCorrupt, path, size, want)
	}
	return nil
}
