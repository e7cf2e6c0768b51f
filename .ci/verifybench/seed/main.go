// Command seed fills a migrated AuthPortal database for .ci/verify-bench:
// N users (local accounts an admin created, through the real
// RegisterUser command but with a cheap password hash, since 10,000
// argon2id hashes at OWASP cost would take minutes) and M protected hosts
// host-<i>.bench.test, through the real commands. Not part of the product.
//
//	DATABASE_URL=... DATA_KEY=... seed -users 10000 -hosts 500
package main

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"flag"
	"fmt"
	"log/slog"
	"os"
	"sync"
	"sync/atomic"

	"github.com/authportal/authportal/commands"
	"github.com/authportal/authportal/domain"
	"github.com/authportal/authportal/eventstore"
	"github.com/authportal/authportal/providers/local"
	"github.com/jackc/pgx/v5/pgxpool"
)

func main() {
	users := flag.Int("users", 10000, "users to create")
	hosts := flag.Int("hosts", 500, "protected hosts to create")
	flag.Parse()
	if err := run(context.Background(), *users, *hosts); err != nil {
		fmt.Fprintln(os.Stderr, "seed:", err)
		os.Exit(1)
	}
}

func run(ctx context.Context, users, hosts int) error {
	key, err := base64.StdEncoding.DecodeString(os.Getenv("DATA_KEY"))
	if err != nil {
		return fmt.Errorf("DATA_KEY: %w", err)
	}
	pool, err := pgxpool.New(ctx, os.Getenv("DATABASE_URL"))
	if err != nil {
		return err
	}
	defer pool.Close()
	store := eventstore.New(pool, domain.Events(), slog.New(slog.DiscardHandler))
	sealer, err := commands.NewSealer(key)
	if err != nil {
		return err
	}
	hasher, err := local.NewHasher(local.Params{Memory: 64, Time: 1, Threads: 1}, 8)
	if err != nil {
		return err
	}
	meta := domain.Metadata{Actor: "seed", ActorKind: domain.ActorSystem}
	register := commands.NewRegisterUserHandler(store, hasher, sealer, rand.Text)
	hostsHandler := commands.NewHostsHandler(store, rand.Text)

	var next atomic.Int64
	var wg sync.WaitGroup
	errs := make(chan error, 8)
	for range 8 {
		wg.Go(func() {
			for {
				i := next.Add(1) - 1
				if i >= int64(users) {
					return
				}
				name := fmt.Sprintf("seed%05d", i)
				if _, err := register.Handle(ctx, commands.RegisterUser{Username: name, Email: name + "@bench.test",
					Password: "seed password " + name, AccessGranted: true, Meta: meta}); err != nil {
					errs <- fmt.Errorf("user %s: %w", name, err)
					return
				}
			}
		})
	}
	wg.Wait()
	select {
	case err := <-errs:
		return err
	default:
	}
	for i := range hosts {
		if _, err := hostsHandler.Add(ctx, commands.AddHost{Spec: domain.HostSpec{Host: fmt.Sprintf("host-%d.bench.test", i), ForwardAuth: true},
			Meta: meta}); err != nil {
			return fmt.Errorf("host %d: %w", i, err)
		}
	}
	fmt.Printf("seeded %d users and %d protected hosts\n", users, hosts)
	return nil
}
