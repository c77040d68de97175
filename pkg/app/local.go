//go:build !lambda && !scf

package app

import (
	"context"
	"fmt"

	"github.com/facegate/facegate/pkg/faceid"
	"github.com/facegate/facegate/pkg/filestore"
)

// newLocalStore builds the local file store, and the handler of its signed media links.
func newLocalStore(_ context.Context, cfg StoreConfig, _ faceid.Credentials) (builtStore, error) {
	s, err := filestore.New(cfg.LocalDir, filestore.Options{MediaBaseURL: cfg.MediaBaseURL, MediaSecret: cfg.MediaSecret})
	if err != nil {
		return builtStore{}, fmt.Errorf("app: local store: %w", err)
	}
	return builtStore{store: s, media: s.MediaHandler()}, nil
}
