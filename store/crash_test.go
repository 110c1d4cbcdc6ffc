package store

import (
	"bufio"
	"fmt"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/beignet/devtools/event"
)

const (
	crashEnvPath  = "STORE_CRASH_CHILD_PATH"
	crashEnvRound = "STORE_CRASH_CHILD_ROUND"
	crashBatch    = 20
)

// TestCrashChild is the child side of TestCrashRecovery: it appends
// batches (with fsync) and prints each committed batch number, until it is
// killed. It does nothing in a normal run.
func TestCrashChild(t *testing.T) {
	path := os.Getenv(crashEnvPath)
	if path == "" {
		t.Skip("child process of TestCrashRecovery only")
	}
	round := os.Getenv(crashEnvRound)
	s, err := Open(path, Options{Timeout: 5 * time.Second})
	if err != nil {
		fmt.Println("open failed:", err)
		os.Exit(3)
	}
	gen := event.NewGenerator(nil)
	for b := 1; ; b++ {
		evs := make([]event.Event, crashBatch)
		for i := range evs {
			evs[i] = mkEvent(gen, time.Now(), event.KindRequest, fmt.Sprintf("r%s-batch-%d", round, b), i)
		}
		if err := s.Append(evs...); err != nil {
			fmt.Println("append failed:", err)
			os.Exit(4)
		}
		fmt.Printf("committed %d\n", b)
	}
}

// TestCrashRecovery kills a child appending in batches with SIGKILL at a
// random moment, then checks that every batch it reported committed is
// there, whole, and that the file checks clean. Three rounds on one file.
func TestCrashRecovery(t *testing.T) {
	if os.Getenv(crashEnvPath) != "" {
		t.Skip("in the child")
	}
	path := filepath.Join(t.TempDir(), "crash", "devtools.db")
	for round := 1; round <= 3; round++ {
		cmd := exec.Command(os.Args[0], "-test.run=^TestCrashChild$", "-test.count=1")
		cmd.Env = append(os.Environ(), crashEnvPath+"="+path, crashEnvRound+"="+strconv.Itoa(round))
		out, err := cmd.StdoutPipe()
		if err != nil {
			t.Fatal(err)
		}
		cmd.Stderr = os.Stderr
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		defer cmd.Process.Kill() // on a failed round; a no-op once it is reaped
		lines := make(chan string, 1024)
		go func() {
			defer close(lines)
			sc := bufio.NewScanner(out)
			for sc.Scan() {
				lines <- sc.Text()
			}
		}()
		last := 0
		var killAt <-chan time.Time
		timeout := time.After(60 * time.Second)
	read:
		for {
			select {
			case l, ok := <-lines:
				if !ok {
					break read
				}
				if n, found := strings.CutPrefix(l, "committed "); found {
					last, _ = strconv.Atoi(n)
					if killAt == nil {
						killAt = time.After(time.Duration(50+rand.IntN(400)) * time.Millisecond)
					}
				} else if strings.Contains(l, "failed") {
					t.Fatalf("child: %s", l)
				}
			case <-killAt:
				_ = cmd.Process.Signal(syscall.SIGKILL)
				killAt = nil
			case <-timeout:
				_ = cmd.Process.Kill()
				t.Fatal("child never got going")
			}
		}
		_ = cmd.Wait()
		if last == 0 {
			t.Fatalf("round %d: child committed nothing", round)
		}

		s, err := Open(path, Options{NoSync: true})
		if err != nil {
			t.Fatalf("round %d: reopen after SIGKILL: %v", round, err)
		}
		if err := s.Check(); err != nil {
			t.Fatalf("round %d: %v", round, err)
		}
		for b := 1; b <= last; b++ {
			c, err := s.Correlated(fmt.Sprintf("r%d-batch-%d", round, b))
			if err != nil || len(c) != crashBatch {
				t.Fatalf("round %d: batch %d of %d reported committed has %d events (%v)", round, b, last, len(c), err)
			}
		}
		// A batch after the last reported one is all there or not at all.
		if c, _ := s.Correlated(fmt.Sprintf("r%d-batch-%d", round, last+1)); len(c) != 0 && len(c) != crashBatch {
			t.Fatalf("round %d: torn batch: %d events", round, len(c))
		}
		t.Logf("round %d: killed after %d committed batches; all present", round, last)
		if err := s.Close(); err != nil {
			t.Fatal(err)
		}
	}
}

// TestOpenRemovesInterruptedCompaction: a process killed while compacting
// leaves CompactTempPath with a copy of the events (purged ones too). A
// read-only open leaves it alone (it changes nothing); the next
// read-write open, holding the lock, removes it.
func TestOpenRemovesInterruptedCompaction(t *testing.T) {
	s := openTemp(t, nil)
	appendN(t, s, event.NewGenerator(nil), t0, 20, event.KindLog, "interrupted")
	path := s.Path()
	closeChecked(t, s)
	tmp := CompactTempPath(path)
	if err := copyFile(path, tmp); err != nil { // what the copy holds mid-way
		t.Fatal(err)
	}
	ro, err := Open(path, Options{ReadOnly: true})
	if err != nil {
		t.Fatal(err)
	}
	ro.Close()
	if _, err := os.Stat(tmp); err != nil {
		t.Fatalf("a read-only open touched the leftover: %v", err)
	}
	s2, err := Open(path, Options{NoSync: true, MaxAge: -1, MaxEvents: -1})
	if err != nil {
		t.Fatal(err)
	}
	defer closeChecked(t, s2)
	if _, err := os.Stat(tmp); !os.IsNotExist(err) {
		t.Fatalf("the leftover of an interrupted compaction is still there: %v", err)
	}
	if c, _ := s2.Correlated("interrupted"); len(c) != 20 {
		t.Fatalf("the store lost events: %d", len(c))
	}
}
