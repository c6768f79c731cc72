// Package replica copies the database continuously off the box with
// Litestream: every committed transaction reaches a directory or an
// S3-compatible bucket within a second, and any moment of the retained
// history can be restored from there.
package replica

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"time"

	"github.com/benbjohnson/litestream"
	"github.com/benbjohnson/litestream/file"
	"github.com/benbjohnson/litestream/s3"

	"parley/app/config"
)

// Replicator ships the database's WAL to the replica while Parley runs.
type Replicator struct {
	db    *litestream.DB
	store *litestream.Store
	log   *slog.Logger
}

// New prepares replication of the database at dbPath to cfg.URL; nothing
// runs before Start.
func New(dbPath string, cfg config.Replica, log *slog.Logger) (*Replicator, error) {
	client, err := Client(cfg)
	if err != nil {
		return nil, err
	}
	log = log.With("component", "replica")
	db := litestream.NewDB(dbPath)
	db.SetLogger(log)
	r := litestream.NewReplicaWithClient(db, client)
	db.Replica = r
	if fc, ok := client.(*file.ReplicaClient); ok {
		fc.Replica = r // the replica's files get the database's owner and mode
	}
	st := litestream.NewStore([]*litestream.DB{db}, litestream.DefaultCompactionLevels)
	st.Logger = log
	return &Replicator{db: db, store: st, log: log}, nil
}

// Start begins replicating. It takes Litestream's hold on the database
// at once rather than at the monitor's first tick, so that even a process
// stopped within its first second leaves its commits in the replica (the
// final sync at Close only covers a database Litestream holds); the upload
// itself runs in the background.
func (r *Replicator) Start(ctx context.Context) error {
	if err := r.store.Open(ctx); err != nil {
		return fmt.Errorf("replica: start: %w", err)
	}
	if err := r.db.Sync(ctx); err != nil {
		// The monitor tries again every second.
		r.log.Warn("replica: first sync", "error", err)
	}
	return nil
}

// Sync copies what is committed now to the replica and waits until it is
// there.
func (r *Replicator) Sync(ctx context.Context) error {
	if err := r.db.SyncAndWait(ctx); err != nil {
		return fmt.Errorf("replica: sync: %w", err)
	}
	return nil
}

// Close sends what is left to the replica, stops replicating and lets go
// of the database (its read transaction and connection).
func (r *Replicator) Close(ctx context.Context) error {
	if err := r.store.Close(ctx); err != nil {
		return fmt.Errorf("replica: stop: %w", err)
	}
	return nil
}

// Restore writes the database as the replica holds it (at the moment at,
// or the latest one when at is zero) to the new file output.
func Restore(ctx context.Context, cfg config.Replica, output string, at time.Time) error {
	client, err := Client(cfg)
	if err != nil {
		return err
	}
	if err := client.Init(ctx); err != nil {
		return fmt.Errorf("replica: %s: %w", Redact(cfg.URL), err)
	}
	opt := litestream.NewRestoreOptions()
	opt.OutputPath = output
	opt.Timestamp = at
	opt.IntegrityCheck = litestream.IntegrityCheckQuick
	if err := litestream.NewReplicaWithClient(nil, client).Restore(ctx, opt); err != nil {
		if errors.Is(err, litestream.ErrTxNotAvailable) || errors.Is(err, litestream.ErrNoSnapshots) {
			return fmt.Errorf("replica: %s holds no copy of the database for that time", Redact(cfg.URL))
		}
		return fmt.Errorf("replica: restore from %s: %w", Redact(cfg.URL), err)
	}
	return nil
}

// Client is the Litestream client for cfg.URL: a directory for a plain
// path or a file:// URL, a bucket for s3://; the endpoint, region and key
// settings override what the URL and the AWS environment say.
func Client(cfg config.Replica) (litestream.ReplicaClient, error) {
	u := strings.TrimSpace(cfg.URL)
	if u == "" {
		return nil, errors.New("replica: no replica url")
	}
	if !strings.Contains(u, "://") {
		if !strings.HasPrefix(u, "/") {
			return nil, fmt.Errorf("replica: %q: give an absolute directory path or an s3:// URL", u)
		}
		return file.NewReplicaClient(u), nil
	}
	scheme, _, _ := strings.Cut(u, "://")
	if scheme != "file" && scheme != "s3" {
		return nil, fmt.Errorf("replica: %s: only file paths and s3:// URLs are supported", Redact(u))
	}
	c, err := litestream.NewReplicaClientFromURL(u)
	if err != nil {
		return nil, fmt.Errorf("replica: %s: %w", Redact(u), err)
	}
	if sc, ok := c.(*s3.ReplicaClient); ok {
		if cfg.Endpoint != "" {
			sc.Endpoint, _ = litestream.EnsureEndpointScheme(cfg.Endpoint)
			sc.ForcePathStyle = true // what MinIO, Garage and most non-AWS stores want
		}
		if cfg.Region != "" {
			sc.Region = cfg.Region
		}
		if cfg.AccessKeyID != "" {
			sc.AccessKeyID, sc.SecretAccessKey = cfg.AccessKeyID, cfg.SecretAccessKey
		}
		if sc.Bucket == "" {
			return nil, fmt.Errorf("replica: %s: the URL names no bucket", Redact(u))
		}
	}
	return c, nil
}

// Redact hides a password a URL may carry, for messages and logs.
func Redact(u string) string {
	scheme, rest, ok := strings.Cut(u, "://")
	if !ok {
		return u
	}
	host, path, _ := strings.Cut(rest, "/")
	if at := strings.LastIndex(host, "@"); at >= 0 {
		host = "…@" + host[at+1:]
	}
	if path != "" {
		path = "/" + path
	}
	return scheme + "://" + host + path
}
