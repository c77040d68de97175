package s3store

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func TestRoleCredentialsFromTheEnvironment(t *testing.T) {
	p, err := RoleCredentials{AccessKeyID: "AKIAROLE", SecretAccessKey: "role-secret", SessionToken: "role-token",
		ContainerRelativeURI: "/v2/credentials/ignored"}.Provider(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	c, err := p.Retrieve(t.Context())
	if err != nil || c.AccessKeyID != "AKIAROLE" || c.SecretAccessKey != "role-secret" || c.SessionToken != "role-token" {
		t.Errorf("keys in the environment: %+v, %v", c, err)
	}
	if _, err := (RoleCredentials{AccessKeyID: "AKIAROLE"}).Provider(t.Context()); err == nil {
		t.Error("a key id without its secret was accepted")
	}
	if _, err := (RoleCredentials{}).Provider(t.Context()); err == nil || !strings.Contains(err.Error(), "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI") {
		t.Errorf("no credentials at all: %v", err)
	}
}

// TestRoleCredentialsFromAContainerEndpoint serves the container credentials endpoint on
// loopback, as a platform's agent does, with its token in a file that changes between
// fetches.
func TestRoleCredentialsFromAContainerEndpoint(t *testing.T) {
	tokenFile := filepath.Join(t.TempDir(), "token")
	var seen []string
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		seen = append(seen, r.Header.Get("Authorization"))
		json.NewEncoder(w).Encode(map[string]string{
			"AccessKeyId": "ASIACONTAINER", "SecretAccessKey": "container-secret", "Token": "container-token",
			"Expiration": time.Now().Add(time.Minute).UTC().Format(time.RFC3339),
		})
	}))
	t.Cleanup(srv.Close)
	for i, token := range []string{"token-one", "token-two"} {
		if err := os.WriteFile(tokenFile, []byte(token), 0o600); err != nil {
			t.Fatal(err)
		}
		p, err := RoleCredentials{ContainerFullURI: srv.URL + "/creds", ContainerAuthTokenFile: tokenFile}.Provider(t.Context())
		if err != nil {
			t.Fatal(err)
		}
		c, err := p.Retrieve(t.Context())
		if err != nil || c.AccessKeyID != "ASIACONTAINER" || c.SessionToken != "container-token" || !c.CanExpire {
			t.Fatalf("from the endpoint: %+v, %v", c, err)
		}
		if seen[i] != token {
			t.Errorf("fetch %d sent Authorization %q, want %q", i, seen[i], token)
		}
	}
}

func TestRoleCredentialsFullURIMustStayOnTheMachine(t *testing.T) {
	defer func(f func(context.Context, string) ([]string, error)) { lookupHost = f }(lookupHost)
	lookupHost = func(_ context.Context, host string) ([]string, error) {
		switch host {
		case "agent.local":
			return []string{"127.0.0.1"}, nil
		case "metadata.example":
			return []string{"169.254.170.2", "10.0.0.1"}, nil
		}
		return nil, errors.New("no such host")
	}
	for uri, ok := range map[string]bool{
		"http://127.0.0.1:9/creds":       true,
		"http://[::1]:9/creds":           true,
		"http://169.254.170.23/v1/creds": true,
		"http://[fd00:ec2::23]/v1/creds": true,
		"http://agent.local/creds":       true,
		"https://creds.example.com/role": true,
		"http://creds.example.com/role":  false,
		"http://10.0.0.1/creds":          false,
		"http://metadata.example/creds":  false,
		"ftp://127.0.0.1/creds":          false,
		"http:///creds":                  false,
	} {
		_, err := RoleCredentials{ContainerFullURI: uri}.Provider(t.Context())
		if (err == nil) != ok {
			t.Errorf("%s: %v, want accepted %v", uri, err, ok)
		}
	}
}
