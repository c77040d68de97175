package faceid

import (
	"strings"

	"github.com/tencentcloud/tencentcloud-sdk-go/tencentcloud/common"
)

// Environment variables read by EnvCredentials.
const (
	// EnvSCFSecretID, EnvSCFSecretKey and EnvSCFSessionToken carry the temporary keys of an
	// SCF execution role. They rotate, so they are read on every call.
	EnvSCFSecretID     = "TENCENTCLOUD_SECRETID"
	EnvSCFSecretKey    = "TENCENTCLOUD_SECRETKEY"
	EnvSCFSessionToken = "TENCENTCLOUD_SESSIONTOKEN"
	// EnvSecretID and EnvSecretKey carry long-term API keys, as Tencent's samples name them.
	EnvSecretID  = "TENCENTCLOUD_SECRET_ID"
	EnvSecretKey = "TENCENTCLOUD_SECRET_KEY"
)

// Credentials returns the credential to sign one call with. It is called once per call
// because SCF role keys rotate; implementations must be safe for concurrent use.
type Credentials interface {
	Credential() (common.CredentialIface, error)
}

// CredentialsFunc adapts a function to the Credentials interface.
type CredentialsFunc func() (common.CredentialIface, error)

// Credential calls f.
func (f CredentialsFunc) Credential() (common.CredentialIface, error) { return f() }

// EnvCredentials reads the credential from the environment on every call: first the SCF
// role's temporary keys (TENCENTCLOUD_SECRETID, TENCENTCLOUD_SECRETKEY and
// TENCENTCLOUD_SESSIONTOKEN, sent as X-TC-Token), else long-term keys
// (TENCENTCLOUD_SECRET_ID, TENCENTCLOUD_SECRET_KEY). When neither pair is complete it
// returns a *ConfigError naming the variables. getenv is usually os.Getenv; taking it as a
// parameter keeps the environment out of constructors and lets tests change it between calls.
func EnvCredentials(getenv func(string) string) Credentials {
	return CredentialsFunc(func() (common.CredentialIface, error) {
		id, key, token := getenv(EnvSCFSecretID), getenv(EnvSCFSecretKey), getenv(EnvSCFSessionToken)
		if id != "" || key != "" {
			// A half-set role pair is a broken deployment, not a reason to fall back silently.
			if id == "" || key == "" {
				return nil, &ConfigError{Field: EnvSCFSecretID + "/" + EnvSCFSecretKey, Reason: "only one of the pair is set"}
			}
			return common.NewTokenCredential(id, key, token), nil
		}
		id, key = getenv(EnvSecretID), getenv(EnvSecretKey)
		switch {
		case id != "" && key != "":
			return common.NewCredential(id, key), nil
		case id != "" || key != "":
			return nil, &ConfigError{Field: EnvSecretID + "/" + EnvSecretKey, Reason: "only one of the pair is set"}
		}
		return nil, &ConfigError{
			Field:  strings.Join([]string{EnvSecretID, EnvSecretKey}, ", "),
			Reason: "not set (or, on SCF, " + EnvSCFSecretID + " and " + EnvSCFSecretKey + " from an execution role)",
		}
	})
}

// StaticCredentials returns fixed keys; token is empty for long-term keys. An empty
// secretID or secretKey makes every call fail with a *ConfigError.
func StaticCredentials(secretID, secretKey, token string) Credentials {
	var cred common.CredentialIface
	if token == "" {
		cred = common.NewCredential(secretID, secretKey)
	} else {
		cred = common.NewTokenCredential(secretID, secretKey, token)
	}
	return CredentialsFunc(func() (common.CredentialIface, error) {
		if err := checkCredential(cred); err != nil {
			return nil, err
		}
		return cred, nil
	})
}

// checkCredential refuses a credential that would produce a request Tencent rejects
// anyway, so a misconfiguration never leaves the machine.
func checkCredential(cred common.CredentialIface) error {
	if cred == nil {
		return &ConfigError{Field: "Credentials", Reason: "returned no credential"}
	}
	id, key, _ := cred.GetCredential()
	switch {
	case id == "":
		return &ConfigError{Field: "SecretId", Reason: "empty"}
	case key == "":
		return &ConfigError{Field: "SecretKey", Reason: "empty"}
	}
	return nil
}
