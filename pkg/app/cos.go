package app

import (
	"fmt"

	"github.com/facegate/facegate/pkg/cosstore"
	"github.com/facegate/facegate/pkg/faceid"
	"github.com/facegate/facegate/pkg/storage"
)

// newCOSStore builds the COS store, signing every request with the Tencent credentials
// of the moment (an SCF role's keys rotate while the instance lives).
func newCOSStore(c COSConfig, tencent faceid.Credentials) (storage.Store, error) {
	if tencent == nil {
		return nil, fmt.Errorf("app: COS store: no Tencent credentials")
	}
	creds := func() (cosstore.Credentials, error) {
		cred, err := tencent.Credential()
		if err != nil {
			return cosstore.Credentials{}, err
		}
		return cosstore.Credentials{SecretID: cred.GetSecretId(), SecretKey: cred.GetSecretKey(), SessionToken: cred.GetToken()}, nil
	}
	s, err := cosstore.NewFromConfig(c.Config, creds, nil)
	if err != nil {
		return nil, fmt.Errorf("app: COS store: %w", err)
	}
	return s, nil
}
