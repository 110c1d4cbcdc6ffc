package app

import (
	"crypto/rand"
	"encoding/hex"
	"sort"
	"sync"
	"time"
)

// user is a demo account. Every user's password is DemoPassword.
type user struct {
	Email  string
	Name   string
	Tenant string
}

// note is one note of a tenant.
type note struct {
	ID      int       `json:"id"`
	Title   string    `json:"title"`
	Body    string    `json:"body"`
	Author  string    `json:"author"`
	Created time.Time `json:"created"`
	Updated time.Time `json:"updated"`
}

const (
	maxSessions       = 10_000
	maxNotesPerTenant = 500
)

// data holds users, sessions and notes in memory, bounded.
type data struct {
	users map[string]user // by email

	mu       sync.Mutex
	sessions map[string]string // session id -> email
	notes    map[string]map[int]*note
	nextID   int
}

func newData() *data {
	d := &data{
		users:    map[string]user{},
		sessions: map[string]string{},
		notes:    map[string]map[int]*note{},
		nextID:   1,
	}
	for _, u := range demoUsers() {
		d.users[u.Email] = u
	}
	return d
}

// demoUsers are the accounts the traffic generator signs in as.
func demoUsers() []user {
	return []user{
		{Email: "ada@example.com", Name: "Ada", Tenant: "acme"},
		{Email: "grace@example.com", Name: "Grace", Tenant: "acme"},
		{Email: "linus@example.com", Name: "Linus", Tenant: "initech"},
	}
}

// UserEmails lists the demo accounts' emails.
func UserEmails() []string {
	var out []string
	for _, u := range demoUsers() {
		out = append(out, u.Email)
	}
	return out
}

func (d *data) newSession(email string) string {
	var b [32]byte
	_, _ = rand.Read(b[:])
	id := hex.EncodeToString(b[:])
	d.mu.Lock()
	defer d.mu.Unlock()
	if len(d.sessions) >= maxSessions {
		for k := range d.sessions { // evict an arbitrary session
			delete(d.sessions, k)
			break
		}
	}
	d.sessions[id] = email
	return id
}

func (d *data) session(id string) (user, bool) {
	d.mu.Lock()
	email, ok := d.sessions[id]
	d.mu.Unlock()
	if !ok {
		return user{}, false
	}
	return d.users[email], true
}

func (d *data) endSession(id string) {
	d.mu.Lock()
	delete(d.sessions, id)
	d.mu.Unlock()
}

func (d *data) list(tenant string) []note {
	d.mu.Lock()
	defer d.mu.Unlock()
	out := make([]note, 0, len(d.notes[tenant]))
	for _, n := range d.notes[tenant] {
		out = append(out, *n)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].ID > out[j].ID })
	if len(out) > 50 {
		out = out[:50]
	}
	return out
}

func (d *data) count(tenant string) int {
	d.mu.Lock()
	defer d.mu.Unlock()
	return len(d.notes[tenant])
}

func (d *data) create(tenant string, n note) note {
	d.mu.Lock()
	defer d.mu.Unlock()
	m := d.notes[tenant]
	if m == nil {
		m = map[int]*note{}
		d.notes[tenant] = m
	}
	if len(m) >= maxNotesPerTenant {
		oldest := -1
		for id := range m {
			if oldest < 0 || id < oldest {
				oldest = id
			}
		}
		delete(m, oldest)
	}
	n.ID = d.nextID
	d.nextID++
	m[n.ID] = &n
	return n
}

func (d *data) get(tenant string, id int) (note, bool) {
	d.mu.Lock()
	defer d.mu.Unlock()
	n, ok := d.notes[tenant][id]
	if !ok {
		return note{}, false
	}
	return *n, true
}

func (d *data) update(tenant string, id int, title, body string, at time.Time) (note, bool) {
	d.mu.Lock()
	defer d.mu.Unlock()
	n, ok := d.notes[tenant][id]
	if !ok {
		return note{}, false
	}
	if title != "" {
		n.Title = title
	}
	n.Body = body
	n.Updated = at
	return *n, true
}

func (d *data) remove(tenant string, id int) bool {
	d.mu.Lock()
	defer d.mu.Unlock()
	if _, ok := d.notes[tenant][id]; !ok {
		return false
	}
	delete(d.notes[tenant], id)
	return true
}
