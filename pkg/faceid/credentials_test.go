package faceid_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/tencentcloud/tencentcloud-sdk-go/tencentcloud/common"

	"github.com/facegate/facegate/pkg/faceid"
)

// env is a getenv whose values tests change between calls.
type env struct {
	mu   sync.Mutex
	vars map[string]string
}

func (e *env) getenv(k string) string {
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.vars[k]
}

func (e *env) set(vars map[string]string) {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.vars = vars
}

func TestMissingCredentialSendsNothing(t *testing.T) {
	api := newFakeAPI(t, func(call apiCall) (int, string) {
		t.Errorf("request sent without a credential: %s", call.Action)
		return 500, ""
	})
	for name, creds := range map[string]faceid.Credentials{
		"empty environment": faceid.EnvCredentials((&env{}).getenv),
		"half role pair":    faceid.EnvCredentials((&env{vars: map[string]string{faceid.EnvSCFSecretID: "AKID"}}).getenv),
		"half long pair":    faceid.EnvCredentials((&env{vars: map[string]string{faceid.EnvSecretKey: "k"}}).getenv),
		"static empty id":   faceid.StaticCredentials("", "k", ""),
		"static empty key":  faceid.StaticCredentials("AKID", "", "tok"),
		"nil credential":    faceid.CredentialsFunc(func() (common.CredentialIface, error) { return nil, nil }),
		"empty credential": faceid.CredentialsFunc(func() (common.CredentialIface, error) {
			return common.NewCredential("", ""), nil
		}),
	} {
		c := api.client(t, func(cfg *faceid.Config) { cfg.Credentials = creds })
		ctx := context.Background()
		_, err1 := c.ApplyWebVerificationBizTokenIntl(ctx, validApply())
		_, err2 := c.GetWebVerificationResultIntl(ctx, "TOKEN-1")
		_, err3 := c.CreateUploadUrl(ctx, faceid.ActionApplyWebVerificationToken)
		_, err4 := c.GetWebVerificationResult(ctx, "TOKEN-1")
		for _, err := range []error{err1, err2, err3, err4} {
			var fe *faceid.Error
			var ce *faceid.ConfigError
			if !errors.As(err, &fe) || fe.Kind != faceid.KindConfig || !errors.As(err, &ce) {
				t.Errorf("%s: got %v, want KindConfig wrapping *ConfigError", name, err)
			}
			if fe != nil && fe.Retryable() {
				t.Errorf("%s: config error is retryable", name)
			}
		}
	}
}

func TestEnvCredentialsNamesVariables(t *testing.T) {
	_, err := faceid.EnvCredentials((&env{}).getenv).Credential()
	var ce *faceid.ConfigError
	if !errors.As(err, &ce) {
		t.Fatalf("got %v", err)
	}
	for _, v := range []string{"TENCENTCLOUD_SECRET_ID", "TENCENTCLOUD_SECRET_KEY", "TENCENTCLOUD_SECRETID", "TENCENTCLOUD_SECRETKEY"} {
		if !strings.Contains(err.Error(), v) {
			t.Errorf("error %q does not name %s", err, v)
		}
	}
}

func TestEnvCredentialsSources(t *testing.T) {
	for _, tt := range []struct {
		name                string
		vars                map[string]string
		wantID, wantKey, wt string
	}{
		{"long-term", map[string]string{faceid.EnvSecretID: "AKIDlong", faceid.EnvSecretKey: "klong"}, "AKIDlong", "klong", ""},
		{"scf role", map[string]string{faceid.EnvSCFSecretID: "AKIDrole", faceid.EnvSCFSecretKey: "krole", faceid.EnvSCFSessionToken: "tok"}, "AKIDrole", "krole", "tok"},
		{"scf role wins", map[string]string{
			faceid.EnvSCFSecretID: "AKIDrole", faceid.EnvSCFSecretKey: "krole", faceid.EnvSCFSessionToken: "tok",
			faceid.EnvSecretID: "AKIDlong", faceid.EnvSecretKey: "klong",
		}, "AKIDrole", "krole", "tok"},
	} {
		cred, err := faceid.EnvCredentials((&env{vars: tt.vars}).getenv).Credential()
		if err != nil {
			t.Fatalf("%s: %v", tt.name, err)
		}
		id, key, tok := cred.GetCredential()
		if id != tt.wantID || key != tt.wantKey || tok != tt.wt {
			t.Errorf("%s: got %q %q %q", tt.name, id, key, tok)
		}
	}
}

// TestRoleKeysRotatePerCall changes the environment between calls, as SCF does when it
// refreshes role keys in a warm instance: every call signs with the current keys and
// carries the current session token as X-TC-Token.
func TestRoleKeysRotatePerCall(t *testing.T) {
	e := &env{}
	api := newFakeAPI(t, func(apiCall) (int, string) { return 200, applyOK })
	api.keys = map[string]string{"AKIDrole1": "k1", "AKIDrole2": "k2", "AKIDlong": "klong"}
	c := api.client(t, func(cfg *faceid.Config) { cfg.Credentials = faceid.EnvCredentials(e.getenv) })
	steps := []struct {
		vars      map[string]string
		wantToken string
	}{
		{map[string]string{faceid.EnvSCFSecretID: "AKIDrole1", faceid.EnvSCFSecretKey: "k1", faceid.EnvSCFSessionToken: "session-1"}, "session-1"},
		{map[string]string{faceid.EnvSCFSecretID: "AKIDrole2", faceid.EnvSCFSecretKey: "k2", faceid.EnvSCFSessionToken: "session-2"}, "session-2"},
		{map[string]string{faceid.EnvSecretID: "AKIDlong", faceid.EnvSecretKey: "klong"}, ""},
	}
	for i, s := range steps {
		e.set(s.vars)
		if _, err := c.ApplyWebVerificationBizTokenIntl(context.Background(), validApply()); err != nil {
			t.Fatalf("step %d: %v", i, err)
		}
		calls := api.received()
		if len(calls) != i+1 {
			t.Fatalf("step %d: %d calls", i, len(calls))
		}
		if got := calls[i].Token; got != s.wantToken {
			t.Errorf("step %d: X-TC-Token %q, want %q", i, got, s.wantToken)
		}
	}
	// A key that has been rotated away no longer verifies: the fake refuses it as
	// Tencent would, and the error is an auth error.
	api.keys = map[string]string{"AKIDrole2": "k2"}
	e.set(steps[0].vars)
	_, err := c.ApplyWebVerificationBizTokenIntl(context.Background(), validApply())
	var fe *faceid.Error
	if !errors.As(err, &fe) || fe.Kind != faceid.KindAuth {
		t.Fatalf("stale key: %v", err)
	}
}

// TestConcurrentCallsWithChangingKeys signs calls in parallel while the credential
// differs on every call; each request must verify with the key it names. Run with -race.
func TestConcurrentCallsWithChangingKeys(t *testing.T) {
	api := newFakeAPI(t, func(apiCall) (int, string) { return 200, applyOK })
	for i := range 8 {
		api.keys[fmt.Sprintf("AKID%d", i)] = fmt.Sprintf("key-%d", i)
	}
	var n atomic.Int32
	creds := faceid.CredentialsFunc(func() (common.CredentialIface, error) {
		i := n.Add(1) % 8
		return common.NewTokenCredential(fmt.Sprintf("AKID%d", i), fmt.Sprintf("key-%d", i), fmt.Sprintf("tok-%d", i)), nil
	})
	c := api.client(t, func(cfg *faceid.Config) { cfg.Credentials = creds })
	var wg sync.WaitGroup
	errs := make(chan error, 64)
	for range 64 {
		wg.Go(func() {
			if _, err := c.ApplyWebVerificationBizTokenIntl(context.Background(), validApply()); err != nil {
				errs <- err
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	if got := len(api.received()); got != 64 {
		t.Fatalf("%d verified calls, want 64", got)
	}
}
