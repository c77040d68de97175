package docs

import (
	"os"
	"regexp"
	"slices"
	"strings"
	"testing"

	"gopkg.in/yaml.v3"

	"github.com/facegate/facegate/internal/kittest"
	"github.com/facegate/facegate/pkg/app"
)

// guideTable returns the guide's table of variables: each variable with its SAM parameter.
func guideTable(t *testing.T) map[string]string {
	t.Helper()
	data, err := os.ReadFile(guidePath)
	if err != nil {
		t.Fatal(err)
	}
	row := regexp.MustCompile("^\\| `(FACEGATE_[A-Z_]+)` \\|.*\\| `([A-Za-z]+)` \\|$")
	table := map[string]string{}
	for line := range strings.SplitSeq(string(data), "\n") {
		if m := row.FindStringSubmatch(line); m != nil {
			table[m[1]] = m[2]
		}
	}
	// The variables this guide promises to cover.
	for _, name := range []string{"FACEGATE_CALLBACK_URL", "FACEGATE_RETURN_TO", "FACEGATE_CORS_ORIGINS", "FACEGATE_MERCHANT_KEYS",
		"FACEGATE_START_TOKEN_SECRETS", "FACEGATE_TOKEN_KEYS", "FACEGATE_WEBHOOK_URL", "FACEGATE_WEBHOOK_SECRETS",
		"FACEGATE_HOME_URL", "FACEGATE_ANONYMOUS_STARTS"} {
		if table[name] == "" {
			t.Errorf("the guide's table of variables has no row for %s", name)
		}
	}
	return table
}

// yamlFile parses a YAML file (CloudFormation tags kept on the nodes).
func yamlFile(t *testing.T, path string) *yaml.Node {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var doc yaml.Node
	if err := yaml.Unmarshal(data, &doc); err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	return doc.Content[0]
}

// at walks mapping keys from n; nil when a key is missing.
func at(n *yaml.Node, keys ...string) *yaml.Node {
	for _, k := range keys {
		if n == nil || n.Kind != yaml.MappingNode {
			return nil
		}
		var next *yaml.Node
		for i := 0; i+1 < len(n.Content); i += 2 {
			if n.Content[i].Value == k {
				next = n.Content[i+1]
			}
		}
		n = next
	}
	return n
}

// pairs lists a mapping's keys and values.
func pairs(n *yaml.Node) [][2]*yaml.Node {
	var out [][2]*yaml.Node
	for i := 0; n != nil && i+1 < len(n.Content); i += 2 {
		out = append(out, [2]*yaml.Node{n.Content[i], n.Content[i+1]})
	}
	return out
}

// serverlessEnv maps each variable serverless.yml gives the start function to its value.
func serverlessEnv(t *testing.T) map[string]string {
	t.Helper()
	list := at(yamlFile(t, "../serverless.yml"), "inputs", "functions", "start", "environments")
	if list == nil || list.Kind != yaml.SequenceNode {
		t.Fatal("serverless.yml: no inputs.functions.start.environments list")
	}
	env := map[string]string{}
	for _, item := range list.Content {
		env[at(item, "key").Value] = at(item, "value").Value
	}
	return env
}

// samOverrides reads the `Key=Value` arguments after sam's --parameter-overrides.
func samOverrides(t *testing.T, args []string) map[string]string {
	t.Helper()
	if len(args) < 2 || args[0] != "deploy" || !slices.Contains(args, "--template-file") {
		t.Fatalf("sam was run with %q, want sam deploy --template-file template.yaml …", args)
	}
	i := slices.Index(args, "--parameter-overrides")
	if i < 0 {
		t.Fatal("sam deploy without --parameter-overrides")
	}
	out := map[string]string{}
	for _, a := range args[i+1:] {
		if strings.HasPrefix(a, "--") {
			break
		}
		k, v, ok := strings.Cut(a, "=")
		if !ok {
			t.Fatalf("parameter override %q is not Key=Value", a)
		}
		out[k] = v
	}
	return out
}

// samEnv is the environment template.yaml gives the functions for the parameter
// overrides: a parameter's override, else its default; the resources and conditions the
// template refers to stand in with plausible values.
func samEnv(t *testing.T, overrides map[string]string) map[string]string {
	t.Helper()
	tpl := yamlFile(t, "../template.yaml")
	params := at(tpl, "Parameters")
	for name, value := range overrides {
		p := at(params, name)
		if p == nil {
			t.Errorf("template.yaml has no parameter %s, which the guide's aws-deploy block sets", name)
			continue
		}
		if allowed := at(p, "AllowedValues"); allowed != nil && !slices.ContainsFunc(allowed.Content, func(n *yaml.Node) bool { return n.Value == value }) {
			t.Errorf("parameter %s=%q is not one of template.yaml's AllowedValues", name, value)
		}
	}
	callback := "https://abcdef1234.execute-api.ap-southeast-1.amazonaws.com/callback"
	if v := overrides["CallbackURL"]; v != "" {
		callback = v
	}
	standIns := map[string]string{ // what CloudFormation would put for refs to resources and conditions
		"FACEGATE_S3_BUCKET":    "facegate-sessionbucket-1a2b3c4d",
		"FACEGATE_S3_REGION":    "ap-southeast-1",
		"FACEGATE_S3_SSE":       "AES256",
		"FACEGATE_CALLBACK_URL": callback,
	}
	env := map[string]string{}
	for _, kv := range pairs(at(tpl, "Globals", "Function", "Environment", "Variables")) {
		name, value := kv[0].Value, kv[1]
		switch {
		case value.Tag == "!Ref" && at(params, value.Value) != nil:
			if v, ok := overrides[value.Value]; ok {
				env[name] = v
			} else if d := at(params, value.Value, "Default"); d != nil {
				env[name] = d.Value
			}
		case value.Kind == yaml.ScalarNode && !strings.HasPrefix(strings.TrimPrefix(value.Tag, "!!"), "!"):
			env[name] = value.Value
		default:
			v, ok := standIns[name]
			if !ok {
				t.Fatalf("template.yaml sets %s with %s: give the test a stand-in value for it", name, value.Tag)
			}
			env[name] = v
		}
	}
	return env
}

// The configuration blocks, run: the SCF .env reaches the functions through serverless.yml,
// the sam parameters through template.yaml, both load, both say the same, and both are
// what the guide's table promises.
func TestGuideConfiguration(t *testing.T) {
	blocks := readGuide(t)
	s := runSetup(t, blocks)
	table := guideTable(t)

	// Tencent SCF: every line of the .env reaches the functions.
	passed := serverlessEnv(t)
	for name := range s.dotenv {
		if passed[name] != "${env:"+name+"}" {
			t.Errorf("the scf-env block sets %s, which serverless.yml does not pass to the functions", name)
		}
	}
	for name := range table {
		if _, ok := s.dotenv[name]; !ok {
			t.Errorf("the scf-env block does not set %s, which the guide's table lists", name)
		}
	}
	scf := map[string]string{ // what serverless.yml and SCF add
		"FACEGATE_STORE":            "cos",
		"FACEGATE_COS_BUCKET":       "facegate-sessions-1250000000",
		"FACEGATE_COS_REGION":       "ap-singapore",
		"FACEGATE_COOKIE_SECURE":    "true",
		"TENCENTCLOUD_SECRETID":     "AKIDscfroleexample000000000000000",
		"TENCENTCLOUD_SECRETKEY":    "scf-role-example-secret-key-000000",
		"TENCENTCLOUD_SESSIONTOKEN": "scf-role-example-session-token",
	}
	for k, v := range s.dotenv {
		scf[k] = v
	}

	// AWS: every parameter exists, and the table's parameters carry its variables.
	overrides := samOverrides(t, s.samArgs)
	aws := samEnv(t, overrides)
	params := at(yamlFile(t, "../template.yaml"), "Parameters")
	for name, param := range table {
		desc := at(params, param, "Description")
		if desc == nil || !strings.HasPrefix(desc.Value, name+" ") {
			t.Errorf("the guide names parameter %s for %s; template.yaml's %s is not that variable's", param, name, param)
		}
		if _, ok := overrides[param]; !ok {
			t.Errorf("the aws-deploy block does not set %s (%s)", param, name)
		}
		if aws[name] != scf[name] {
			t.Errorf("%s: the SCF block gives %q, the AWS block %q", name, scf[name], aws[name])
		}
	}

	for cloud, env := range map[string]map[string]string{"SCF": scf, "AWS": aws} {
		cfg, err := app.LoadConfig(func(name string) string { return env[name] })
		if err != nil {
			t.Errorf("%s: the guide's configuration does not load: %v", cloud, err)
			continue
		}
		c := cfg.Core
		switch {
		case c.AnonymousStarts:
			t.Errorf("%s: anonymous starts are on", cloud)
		case len(c.StartTokenSecrets) != 1 || len(c.MerchantKeys) != 1 || len(c.Webhook.Secrets) != 1:
			t.Errorf("%s: want one start-token secret, merchant key and webhook secret", cloud)
		case !slices.Equal(c.CORSOrigins, []string{kittest.ShopOrigin}) || !slices.Equal(c.ReturnTo, []string{kittest.ReturnTo}):
			t.Errorf("%s: CORS origins %v and returnTo allowlist %v, want the shop's", cloud, c.CORSOrigins, c.ReturnTo)
		case c.Webhook.URL != kittest.ShopOrigin+"/webhooks/facegate" || c.Brand.HomeURL != kittest.ShopOrigin+"/":
			t.Errorf("%s: webhook URL %q and home URL %q", cloud, c.Webhook.URL, c.Brand.HomeURL)
		case len(cfg.Warnings) != 0:
			t.Errorf("%s: the configuration loads with warnings: %q", cloud, cfg.Warnings)
		}
	}

	// The backend's variables are the secrets facegate was given.
	b := s.backend
	if b["FACEGATE_MERCHANT_KEY"] != scf["FACEGATE_MERCHANT_KEYS"] || b["FACEGATE_START_TOKEN_SECRET"] != scf["FACEGATE_START_TOKEN_SECRETS"] ||
		b["FACEGATE_WEBHOOK_SECRETS"] != scf["FACEGATE_WEBHOOK_SECRETS"] || b["FACEGATE_URL"] != "https://api.shop.example.com" {
		t.Errorf("the backend-env block does not give the backend facegate's key and secrets and URL")
	}
}
