package storage_test

import (
	"context"
	"testing"

	"github.com/rapportcrm/rapport/pkg/storage"
	"github.com/rapportcrm/rapport/pkg/storage/storagetest"
)

// TestExclusively: while one instance runs a job, another skips it; on SQLite, which serves one
// process, the job always runs.
func TestExclusively(t *testing.T) {
	db := storagetest.New(t)
	ctx := context.Background()
	inside, release := make(chan struct{}), make(chan struct{})
	first := make(chan bool)
	go func() {
		ran, err := db.Exclusively(ctx, "job", func(context.Context) error {
			close(inside)
			<-release
			return nil
		})
		if err != nil {
			t.Error(err)
		}
		first <- ran
	}()
	<-inside
	ran, err := db.Exclusively(ctx, "job", func(context.Context) error { return nil })
	if err != nil {
		t.Fatal(err)
	}
	close(release)
	if !<-first {
		t.Fatal("the first run did not run")
	}
	if want := db.Dialect() == storage.SQLite; ran != want {
		t.Fatalf("a second run while the first holds the job ran=%v, want %v", ran, want)
	}
	if ran, err := db.Exclusively(ctx, "job", func(context.Context) error { return nil }); !ran || err != nil {
		t.Fatalf("after the first finished: ran=%v err=%v", ran, err)
	}
}
