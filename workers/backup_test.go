package workers_test

import (
	"crypto/rand"
	"log/slog"
	"os"
	"sync"
	"testing"
	"time"

	"github.com/authportal/authportal/commands"
	"github.com/authportal/authportal/domain"
	"github.com/authportal/authportal/eventstore"
	"github.com/authportal/authportal/eventstore/pgtest"
	"github.com/authportal/authportal/projections"
	"github.com/authportal/authportal/workers"
	"github.com/jackc/pgx/v5/pgxpool"
)

// clock is a settable clock.
type clock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *clock) set(t time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = t
}

// node is one server's backup schedule: its own store, model and worker
// over the shared database and folder.
func node(t *testing.T, pool *pgxpool.Pool, dir string, key []byte, clk *clock) workers.BackupSchedule {
	t.Helper()
	logger := slog.New(slog.DiscardHandler)
	store := eventstore.New(pool, domain.Events(), logger)
	model := projections.NewConfig()
	if err := model.Load(t.Context(), store); err != nil {
		t.Fatal(err)
	}
	archive, err := commands.NewBackupArchive(key)
	if err != nil {
		t.Fatal(err)
	}
	return workers.NewBackupSchedule(model, commands.NewBackups(store, commands.NewBackupDir(dir), archive, clk.Now, rand.Text), clk.Now, logger)
}

// Two nodes running the schedule make one backup per slot between them,
// a restarted node does not make the slot's backup again, and retention
// deletes the oldest scheduled backups.
func TestBackupScheduleOncePerSlotAcrossNodes(t *testing.T) {
	t.Parallel()
	pool := pgtest.New(t)
	key := make([]byte, 32)
	rand.Read(key)
	sealer, err := commands.NewSealer(key)
	if err != nil {
		t.Fatal(err)
	}
	store := eventstore.New(pool, domain.Events(), slog.New(slog.DiscardHandler))
	_, err = commands.NewSeedConfigHandler(store, sealer).Handle(t.Context(), commands.SeedConfig{
		Meta: domain.Metadata{Actor: "system", ActorKind: domain.ActorSystem},
		Documents: map[string]domain.ConfigDocument{
			domain.SectionMFA:     &domain.MFAConfig{Enable: true, Issuer: "AuthPortal"},
			domain.SectionBackups: &domain.BackupsConfig{Schedule: "hourly", Sections: []string{"mfa"}, Retention: 2},
		},
	})
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	clk := &clock{now: time.Date(2026, 11, 23, 12, 0, 5, 0, time.UTC)}

	runSlot := func(nodes ...workers.BackupSchedule) []string {
		t.Helper()
		made := make([]string, len(nodes))
		errs := make([]error, len(nodes))
		var wg sync.WaitGroup
		for i, n := range nodes {
			wg.Go(func() { made[i], errs[i] = n.RunOnce(t.Context()) })
		}
		wg.Wait()
		var names []string
		for i := range nodes {
			if errs[i] != nil {
				t.Fatalf("node %d: %v", i, errs[i])
			}
			if made[i] != "" {
				names = append(names, made[i])
			}
		}
		return names
	}
	files := func() int {
		t.Helper()
		entries, err := os.ReadDir(dir)
		if err != nil {
			t.Fatal(err)
		}
		return len(entries)
	}

	a, b := node(t, pool, dir, key, clk), node(t, pool, dir, key, clk)
	if made := runSlot(a, b); len(made) != 1 || files() != 1 {
		t.Fatalf("two nodes in one slot made %v (%d files), want one backup", made, files())
	}
	restarted := node(t, pool, dir, key, clk)
	clk.set(clk.Now().Add(40 * time.Minute))
	if made := runSlot(restarted, a); len(made) != 0 || files() != 1 {
		t.Fatalf("the same slot again made %v (%d files), want nothing", made, files())
	}
	var claims int
	if err := pool.QueryRow(t.Context(), `SELECT count(*) FROM events WHERE event_type = $1`, domain.TypeBackupSlotClaimed).Scan(&claims); err != nil {
		t.Fatal(err)
	}
	if claims != 1 {
		t.Errorf("%d slot claims in the log, want 1", claims)
	}

	for range 2 {
		clk.set(clk.Now().Add(time.Hour))
		if made := runSlot(a, b, restarted); len(made) != 1 {
			t.Fatalf("a later slot made %v, want one backup", made)
		}
	}
	if files() != 2 {
		t.Errorf("%d files after three slots with retention 2, want 2", files())
	}
	var deleted int
	if err := pool.QueryRow(t.Context(), `SELECT count(*) FROM events WHERE event_type = $1 AND data->>'reason' = 'retention'`, domain.TypeBackupDeleted).Scan(&deleted); err != nil {
		t.Fatal(err)
	}
	if deleted != 1 {
		t.Errorf("%d deletions by retention, want 1", deleted)
	}
}
