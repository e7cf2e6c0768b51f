package queries_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/authportal/authportal/eventstore/pgtest"
	"github.com/authportal/authportal/queries"
)

func TestMain(m *testing.M) { pgtest.Main(m) }

func TestWaitForAndStatus(t *testing.T) {
	pool := pgtest.New(t)
	r := queries.NewReader(pool)
	ctx := t.Context()
	if _, err := pool.Exec(ctx, `INSERT INTO projection_checkpoints (name, position) VALUES ('users', 0)`); err != nil {
		t.Fatal(err)
	}

	err := r.WaitFor(ctx, "users", 3, 50*time.Millisecond)
	if !errors.Is(err, queries.ErrNotCaughtUp) {
		t.Fatalf("WaitFor a position never reached = %v, want ErrNotCaughtUp", err)
	}

	done := make(chan error, 1)
	go func() { done <- r.WaitFor(ctx, "users", 3, 5*time.Second) }()
	time.Sleep(20 * time.Millisecond)
	if _, err := pool.Exec(context.Background(), `UPDATE projection_checkpoints SET position = 3 WHERE name = 'users'`); err != nil {
		t.Fatal(err)
	}
	if err := <-done; err != nil {
		t.Errorf("WaitFor after the checkpoint passed: %v", err)
	}

	status, err := r.Status(ctx, []string{"users", "never-ran"})
	if err != nil {
		t.Fatal(err)
	}
	if status[0].Position != 3 || status[0].Lag != -3 || status[1].Position != 0 || status[0].Leader {
		t.Errorf("status = %+v", status)
	}
}
