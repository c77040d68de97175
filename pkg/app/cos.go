//go:build !lambda

package app

import (
	"context"
	"fmt"

	"github.com/facegate/facegate/pkg/cosstore"
	"github.com/facegate/facegate/pkg/faceid"
)

// newCOSStore builds the COS store, signing every request with the Tencent credentials
// of the moment (an SCF role's keys rotate while the instance lives).
func newCOSStore(_ context.Context, cfg StoreConfig, tencent faceid.Credentials) (builtStore, error) {
	if tencent == nil {
		return builtStore{}, fmt.Errorf("app: COS store: no Tencent credentials")
	}
	creds := func() (cosstore.Credentials, error) {
		cred, err := tencent.Credential()
		if err != nil {
			return cosstore.Credentials{}, err
		}
		return cosstore.Credentials{SecretID: cred.GetSecretId(), SecretKey: cred.GetSecretKey(), SessionToken: cred.GetToken()}, nil
	}
	c := cfg.COS
	s, err := cosstore.NewFromConfig(cosstore.Config{Bucket: c.Bucket, Region: c.Region, BaseURL: c.BaseURL, Host: c.Host, SSE: c.SSE}, creds, nil)
	if err != nil {
		return builtStore{}, fmt.Errorf("app: COS store: %w", err)
	}
	return builtStore{store: s}, nil
}
