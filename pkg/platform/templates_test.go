package platform_test

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"

	"gopkg.in/yaml.v3"

	"github.com/facegate/facegate/internal/envscan"
	"github.com/facegate/facegate/pkg/app"
	"github.com/facegate/facegate/pkg/core"
	"github.com/facegate/facegate/pkg/sandbox"
)

// The deployment templates must agree with the code: the functions they declare,
// handlers, routes and methods, every environment variable the deployed binaries
// read, permissions and the bucket lifecycle. Nothing here is hard-coded from the
// code's current state: variables are collected from the Go source of the packages
// the functions are built from, routes from core.RouteTable.

var functionNames = []string{"start", "callback", "result", "sweep"}

// httpFunctions are the functions behind the gateway; sweep runs on a schedule.
var httpFunctions = []string{"start", "callback", "result"}

// ---- Environment variables the deployed code reads ----

// codeEnvVars returns every variable name the deployed functions' packages read
// (envscan.Scan over what ./functions/... is built from), mapped to where it is read.
func codeEnvVars(t *testing.T) map[string]string {
	t.Helper()
	vars, err := envscan.Scan(repoRoot, true, "./functions/...")
	if err != nil {
		t.Fatal(err)
	}
	// The scan must see the variables we know exist, or it is looking at nothing.
	for _, known := range []string{"FACEGATE_RETURN_TO", "FACEGATE_STORE", "TENCENTCLOUD_SECRETID", "FACEGATE_RUNTIME", "_LAMBDA_SERVER_PORT"} {
		if _, ok := vars[known]; !ok {
			t.Fatalf("the source scan did not find %s; found %v", known, sortedNames(vars))
		}
	}
	return vars
}

// notDeployed are variables the code reads that no deployment template sets, with
// the reason. Each template adds its own (the other cloud's store, for one).
var notDeployed = map[string]string{
	"FACEGATE_RUNTIME":          "the runtime is detected; the override is for tests and unusual hosts",
	"FACEGATE_SCF_WEB_ADDR":     "tests only: SCF web functions always listen on 0.0.0.0:9000",
	"PORT":                      "local server only",
	"FACEGATE_SWEEP_INTERVAL":   "the local stack's sweep timer; deployments sweep on their platform's schedule",
	"FACEGATE_DEV_SECRETS":      "local development only; a deployment must never generate its ticket secret",
	"FACEGATE_LOCAL_DIR":        "the local-file store is for local runs",
	"FACEGATE_MEDIA_BASE_URL":   "media links of the local-file store, served by the local stack",
	"FACEGATE_TENCENT_SCHEME":   "http is for the local sandbox; deployments use https (the default)",
	"FACEGATE_SESSION_TOKEN":    "temporary Tencent keys expire; deployments use long-term keys or the SCF role",
	"AWS_LAMBDA_RUNTIME_API":    "set by Lambda",
	"_LAMBDA_SERVER_PORT":       "set by SCF for event functions",
	"TENCENTCLOUD_RUNENV":       "set by SCF",
	"TENCENTCLOUD_REGION":       "set by SCF",
	"TENCENTCLOUD_SECRETID":     "set by SCF from the execution role",
	"TENCENTCLOUD_SECRETKEY":    "set by SCF from the execution role",
	"TENCENTCLOUD_SESSIONTOKEN": "set by SCF from the execution role",
	"TENCENTCLOUD_SECRET_ID":    "Tencent's sample spelling of FACEGATE_SECRET_ID, which the templates use",
	"TENCENTCLOUD_SECRET_KEY":   "Tencent's sample spelling of FACEGATE_SECRET_KEY, which the templates use",
	"AWS_REGION":                "set by Lambda",
	"AWS_DEFAULT_REGION":        "set by Lambda",
	"AWS_ACCESS_KEY_ID":         "set by Lambda from the execution role",
	"AWS_SECRET_ACCESS_KEY":     "set by Lambda from the execution role",
	"AWS_SESSION_TOKEN":         "set by Lambda from the execution role",

	"GOMAXPROCS": "the Go runtime's; platform.Run uses one CPU on Lambda and SCF when it is unset",

	"AWS_CONTAINER_CREDENTIALS_RELATIVE_URI": "set by a platform that serves the role's keys from an endpoint",
	"AWS_CONTAINER_CREDENTIALS_FULL_URI":     "set by a platform that serves the role's keys from an endpoint",
	"AWS_CONTAINER_AUTHORIZATION_TOKEN":      "set by a platform that serves the role's keys from an endpoint",
	"AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE": "set by a platform that serves the role's keys from an endpoint",
}

var notInSAM = map[string]string{
	"FACEGATE_COS_BUCKET":    "COS is the SCF store",
	"FACEGATE_COS_REGION":    "COS is the SCF store",
	"FACEGATE_COS_ENDPOINT":  "COS is the SCF store",
	"FACEGATE_COS_SSE":       "COS is the SCF store",
	"FACEGATE_S3_ENDPOINT":   "S3-compatible servers only; Lambda uses AWS S3",
	"FACEGATE_S3_PATH_STYLE": "S3-compatible servers only; Lambda uses AWS S3",
}

var notInSCF = map[string]string{
	"FACEGATE_S3_BUCKET":     "S3 is the Lambda store",
	"FACEGATE_S3_REGION":     "S3 is the Lambda store",
	"FACEGATE_S3_ENDPOINT":   "S3 is the Lambda store",
	"FACEGATE_S3_PATH_STYLE": "S3 is the Lambda store",
	"FACEGATE_S3_SSE":        "S3 is the Lambda store",
	"FACEGATE_S3_KMS_KEY_ID": "S3 is the Lambda store",
	"FACEGATE_SECRET_ID":     "SCF functions sign with their execution role's keys",
	"FACEGATE_SECRET_KEY":    "SCF functions sign with their execution role's keys",
}

// checkEnv compares a template's variables with the code's.
func checkEnv(t *testing.T, template string, set map[string]bool, code map[string]string, excluded map[string]string) {
	t.Helper()
	for name := range set {
		if _, ok := code[name]; !ok {
			t.Errorf("%s sets %s, which the code never reads", template, name)
		}
		if why, ok := notDeployed[name]; ok {
			t.Errorf("%s sets %s: %s", template, name, why)
		}
		if why, ok := excluded[name]; ok {
			t.Errorf("%s sets %s: %s", template, name, why)
		}
	}
	for _, name := range sortedNames(code) {
		_, skip1 := notDeployed[name]
		_, skip2 := excluded[name]
		if !set[name] && !skip1 && !skip2 {
			t.Errorf("%s does not set %s (read at %s)", template, name, code[name])
		}
	}
}

// ---- YAML with CloudFormation tags ----

// loadYAML parses a template into plain values. CloudFormation's short tags become
// their long forms ({"Ref": x}, {"Fn::Sub": x}, ...) so the tests can read them.
func loadYAML(t *testing.T, path string) map[string]any {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(repoRoot, path))
	if err != nil {
		t.Fatal(err)
	}
	return parseYAML(t, path, b)
}

// parseYAML is loadYAML for YAML that is not a file of its own, such as a README
// example; name says where it came from.
func parseYAML(t *testing.T, name string, b []byte) map[string]any {
	t.Helper()
	var doc yaml.Node
	if err := yaml.Unmarshal(b, &doc); err != nil {
		t.Fatalf("%s: %v", name, err)
	}
	v, ok := nodeValue(&doc).(map[string]any)
	if !ok {
		t.Fatalf("%s is not a mapping", name)
	}
	return v
}

func nodeValue(n *yaml.Node) any {
	var v any
	switch n.Kind {
	case yaml.DocumentNode:
		return nodeValue(n.Content[0])
	case yaml.AliasNode:
		return nodeValue(n.Alias)
	case yaml.MappingNode:
		m := map[string]any{}
		for i := 0; i+1 < len(n.Content); i += 2 {
			m[n.Content[i].Value] = nodeValue(n.Content[i+1])
		}
		v = m
	case yaml.SequenceNode:
		var s []any
		for _, c := range n.Content {
			s = append(s, nodeValue(c))
		}
		v = s
	default:
		var s any
		if err := n.Decode(&s); err != nil || isCustomTag(n.Tag) {
			s = n.Value
		}
		v = s
	}
	if isCustomTag(n.Tag) {
		name := strings.TrimPrefix(n.Tag, "!")
		switch name {
		case "Ref":
			return map[string]any{"Ref": v}
		case "GetAtt":
			if s, ok := v.(string); ok {
				parts := strings.SplitN(s, ".", 2)
				return map[string]any{"Fn::GetAtt": []any{parts[0], parts[1]}}
			}
		}
		return map[string]any{"Fn::" + name: v}
	}
	return v
}

// isCustomTag reports a CloudFormation tag (!Ref) as opposed to YAML's own (!!str).
func isCustomTag(tag string) bool {
	return strings.HasPrefix(tag, "!") && !strings.HasPrefix(tag, "!!")
}

func get(v any, path ...string) any {
	for _, p := range path {
		m, ok := v.(map[string]any)
		if !ok {
			return nil
		}
		v = m[p]
	}
	return v
}

func str(v any) string {
	s, _ := v.(string)
	return s
}

// ---- template.yaml (AWS SAM) ----

// samFunctionIDs maps function names to their logical ids.
var samFunctionIDs = map[string]string{"start": "StartFunction", "callback": "CallbackFunction", "result": "ResultFunction", "sweep": "SweepFunction"}

func TestSAMTemplateAgreesWithCode(t *testing.T) {
	tpl := loadYAML(t, "template.yaml")
	resources, _ := tpl["Resources"].(map[string]any)
	params, _ := tpl["Parameters"].(map[string]any)

	t.Run("functions", func(t *testing.T) {
		var ids []string
		for id, r := range resources {
			if get(r, "Type") == "AWS::Serverless::Function" {
				ids = append(ids, id)
			}
		}
		sort.Strings(ids)
		if want := []string{"CallbackFunction", "ResultFunction", "StartFunction", "SweepFunction"}; !slices.Equal(ids, want) {
			t.Fatalf("functions = %v, want %v", ids, want)
		}
		for _, fn := range functionNames {
			props := get(resources, samFunctionIDs[fn], "Properties")
			checks := map[string]any{
				"Handler":       "bootstrap",
				"Runtime":       "provided.al2023",
				"CodeUri":       "dist/lambda-" + fn + "-arm64.zip",
				"Architectures": []any{"arm64"},
				"FunctionName":  map[string]any{"Fn::Sub": "${AWS::StackName}-" + fn},
			}
			for key, want := range checks {
				if got := get(props, key); fmt.Sprint(got) != fmt.Sprint(want) {
					t.Errorf("%s %s = %v, want %v", fn, key, got, want)
				}
			}
		}
	})

	t.Run("routes and methods", func(t *testing.T) {
		integrations := map[string]string{} // integration id -> function
		for id, r := range resources {
			if get(r, "Type") != "AWS::ApiGatewayV2::Integration" {
				continue
			}
			target, _ := get(r, "Properties", "IntegrationUri", "Fn::GetAtt").([]any)
			if len(target) != 2 || target[1] != "Arn" {
				t.Errorf("integration %s does not target a function ARN", id)
				continue
			}
			for fn, fid := range samFunctionIDs {
				if target[0] == fid {
					integrations[id] = fn
				}
			}
			if get(r, "Properties", "PayloadFormatVersion") != "2.0" || get(r, "Properties", "IntegrationType") != "AWS_PROXY" {
				t.Errorf("integration %s is not an AWS_PROXY payload 2.0 integration", id)
			}
		}
		got := map[string]string{}
		for id, r := range resources {
			if get(r, "Type") != "AWS::ApiGatewayV2::Route" {
				continue
			}
			key := str(get(r, "Properties", "RouteKey"))
			target := str(get(r, "Properties", "Target", "Fn::Sub"))
			integ := strings.TrimSuffix(strings.TrimPrefix(target, "integrations/${"), "}")
			if integrations[integ] == "" {
				t.Errorf("route %s (%s) has no function integration: %q", id, key, target)
			}
			got[key] = integrations[integ]
		}
		want := map[string]string{}
		for _, r := range core.RouteTable() {
			want[r.Method+" "+r.Path] = r.Function
		}
		if fmt.Sprint(got) != fmt.Sprint(want) {
			t.Errorf("routes = %v\nwant (core.RouteTable) %v", got, want)
		}
		// Each HTTP function may be invoked by the API, and only by it; the sweep function
		// by nothing but its schedule.
		for fn, fid := range samFunctionIDs {
			found := false
			for _, r := range resources {
				if get(r, "Type") == "AWS::Lambda::Permission" && fmt.Sprint(get(r, "Properties", "FunctionName")) == fmt.Sprint(map[string]any{"Ref": fid}) &&
					get(r, "Properties", "Principal") == "apigateway.amazonaws.com" {
					found = true
				}
			}
			if want := slices.Contains(httpFunctions, fn); found != want {
				t.Errorf("%s: API Gateway invoke permission %v, want %v", fn, found, want)
			}
		}
	})

	t.Run("schedule", func(t *testing.T) {
		for _, fn := range httpFunctions {
			if ev := get(resources, samFunctionIDs[fn], "Properties", "Events"); ev != nil {
				t.Errorf("%s has events %v; the HTTP API is its only trigger", fn, ev)
			}
		}
		props := get(resources, "SweepFunction", "Properties")
		events, _ := get(props, "Events").(map[string]any)
		if len(events) != 1 {
			t.Fatalf("sweep events = %v, want one schedule", events)
		}
		for _, ev := range events {
			// EventBridge Scheduler delivers the schedule's Input (none: {}), a scheduled
			// event the Lambda adapter hands to the sweeper.
			if get(ev, "Type") != "ScheduleV2" || get(ev, "Properties", "ScheduleExpression") != "rate(1 minute)" || get(ev, "Properties", "State") == "DISABLED" {
				t.Errorf("sweep event = %v, want an enabled ScheduleV2 at rate(1 minute)", ev)
			}
		}
		// The sweeper stops taking work before its deadline, so the timeout bounds a run;
		// longer than the interval would let runs pile up, much shorter leaves little done.
		if timeout, _ := get(props, "Timeout").(int); timeout < 30 || timeout > 60 {
			t.Errorf("sweep Timeout = %v, want 30-60 s for a one-minute schedule", get(props, "Timeout"))
		}
	})

	t.Run("throttling", func(t *testing.T) {
		var stage any
		for _, r := range resources {
			if get(r, "Type") == "AWS::ApiGatewayV2::Stage" {
				stage = r
			}
		}
		for _, k := range []string{"ThrottlingRateLimit", "ThrottlingBurstLimit"} {
			if get(stage, "Properties", "DefaultRouteSettings", k) == nil {
				t.Errorf("stage has no default %s", k)
			}
		}
		for _, route := range []string{"GET /start", "POST /start"} {
			if get(stage, "Properties", "RouteSettings", route, "ThrottlingRateLimit") == nil {
				t.Errorf("%s, which starts billable calls, has no throttling of its own", route)
			}
		}
	})

	t.Run("environment", func(t *testing.T) {
		vars, _ := get(tpl, "Globals", "Function", "Environment", "Variables").(map[string]any)
		set := map[string]bool{}
		for name, v := range vars {
			set[name] = true
			if ref, ok := get(v, "Ref").(string); ok && !strings.HasPrefix(ref, "AWS::") && params[ref] == nil && resources[ref] == nil {
				t.Errorf("%s refers to %s, which is neither a parameter nor a resource", name, ref)
			}
		}
		for _, fn := range functionNames {
			if get(resources, samFunctionIDs[fn], "Properties", "Environment") != nil {
				t.Errorf("%s overrides the shared environment", fn)
			}
		}
		checkEnv(t, "template.yaml", set, codeEnvVars(t), notInSAM)
		if vars["FACEGATE_STORE"] != "s3" || vars["FACEGATE_COOKIE_SECURE"] != "true" {
			t.Errorf("store %v, cookie secure %v", vars["FACEGATE_STORE"], vars["FACEGATE_COOKIE_SECURE"])
		}
		// Every parameter is used.
		raw, _ := os.ReadFile(filepath.Join(repoRoot, "template.yaml"))
		for name := range params {
			if !strings.Contains(string(raw), "!Ref "+name) && !strings.Contains(string(raw), "${"+name+"}") {
				t.Errorf("parameter %s is never used", name)
			}
		}
		for _, secret := range []string{"TicketSecrets", "TokenKeys", "MerchantKeys", "TencentSecretKey", "StartTokenSecrets", "WebhookSecrets"} {
			if get(params, secret, "NoEcho") != true {
				t.Errorf("parameter %s is not NoEcho", secret)
			}
		}
		// Parameters that spell out a default give the code's.
		for name, want := range map[string]float64{
			"WebhookTimeout": core.DefaultWebhookTimeout.Seconds(),
			"Retention":      core.DefaultRetention.Seconds(),
		} {
			if d, err := time.ParseDuration(str(get(params, name, "Default"))); err != nil || d.Seconds() != want {
				t.Errorf("parameter %s defaults to %v, want the code's %vs", name, get(params, name, "Default"), want)
			}
		}
		if rate, err := strconv.ParseFloat(str(get(params, "SweepRate", "Default")), 64); err != nil || rate != core.DefaultSweepRate {
			t.Errorf("parameter SweepRate defaults to %v, want the code's %v", get(params, "SweepRate", "Default"), core.DefaultSweepRate)
		}
		// The page and start-guard parameters default to what the code does with the
		// variable unset.
		unset := codeDefaults(t)
		for name, want := range map[string]string{
			"AnonymousStarts": strconv.FormatBool(unset.Core.AnonymousStarts),
			"HomeURL":         unset.Core.Brand.HomeURL,
			"MerchantName":    unset.Core.Brand.Name,
			"BrandColor":      unset.Core.Brand.Color,
		} {
			if got := get(params, name, "Default"); got != want {
				t.Errorf("parameter %s defaults to %v, want the code's %q", name, got, want)
			}
		}
	})

	t.Run("bucket", func(t *testing.T) {
		props := get(resources, "SessionBucket", "Properties")
		rules, _ := get(props, "LifecycleConfiguration", "Rules").([]any)
		if len(rules) != 1 || get(rules[0], "Status") != "Enabled" || get(rules[0], "Prefix") != nil || get(rules[0], "Filter") != nil {
			t.Fatalf("lifecycle rules = %v, want one enabled rule for every object", rules)
		}
		if days, _ := get(rules[0], "ExpirationInDays").(int); days != sessionDays() {
			t.Errorf("objects expire after %v days; sessions live %v (%d days)", get(rules[0], "ExpirationInDays"), core.DefaultSessionTTL, sessionDays())
		}
		for _, k := range []string{"BlockPublicAcls", "BlockPublicPolicy", "IgnorePublicAcls", "RestrictPublicBuckets"} {
			if get(props, "PublicAccessBlockConfiguration", k) != true {
				t.Errorf("public access block %s is not on", k)
			}
		}
		if enc, _ := get(props, "BucketEncryption", "ServerSideEncryptionConfiguration").([]any); len(enc) == 0 {
			t.Error("bucket has no default encryption")
		}
		stmts, _ := get(resources, "SessionBucketPolicy", "Properties", "PolicyDocument", "Statement").([]any)
		tlsOnly := false
		for _, s := range stmts {
			if get(s, "Effect") == "Deny" && get(s, "Condition", "Bool", "aws:SecureTransport") == "false" {
				tlsOnly = true
			}
		}
		if !tlsOnly {
			t.Error("bucket policy does not deny requests without TLS")
		}
	})

	t.Run("least privilege", func(t *testing.T) {
		for _, media := range []bool{false, true} {
			want := observedGrants(t, media)
			for _, fn := range functionNames {
				got := samGrants(t, tpl, get(resources, samFunctionIDs[fn], "Properties", "Policies"), media)
				if want := bucketGrants(want[fn]); !slices.Equal(got, want) {
					t.Errorf("media %v: %s may %v\nbut the code does %v", media, fn, got, want)
				}
			}
		}
	})
}

// codeDefaults is the configuration the functions load from only the variables they
// require: every other setting at the code's default.
func codeDefaults(t *testing.T) app.Config {
	t.Helper()
	vars := map[string]string{
		"FACEGATE_CALLBACK_URL":   flowCallbackURL,
		"FACEGATE_RETURN_TO":      flowReturnTo,
		"FACEGATE_TICKET_SECRETS": "template-test-ticket-secret-0123456789abcdef",
		"FACEGATE_TOKEN_KEYS":     "template-test-token-key-0123456789abcdef",
		"FACEGATE_STORE":          "local",
		"FACEGATE_LOCAL_DIR":      t.TempDir(),
		"FACEGATE_SECRET_ID":      sandbox.TestSecretID,
		"FACEGATE_SECRET_KEY":     sandbox.TestSecretKey,
	}
	cfg, err := app.LoadConfig(func(k string) string { return vars[k] })
	if err != nil {
		t.Fatal(err)
	}
	return cfg
}

// sessionDays is the bucket lifecycle the code's session lifetime calls for.
func sessionDays() int {
	return int((core.DefaultSessionTTL + 24*time.Hour - 1) / (24 * time.Hour))
}

// samGrants resolves a function's inline policies with the parameters' defaults,
// except StoreMedia, which media gives.
func samGrants(t *testing.T, tpl map[string]any, policies any, media bool) []string {
	t.Helper()
	params, _ := tpl["Parameters"].(map[string]any)
	conditions := map[string]bool{"HasCallbackURL": false, "HasKMSKey": false, "StoreMediaOn": media,
		"HasComparePrefix": str(get(params, "CompareImagePrefix", "Default")) != ""}
	for name := range tpl["Conditions"].(map[string]any) {
		if _, ok := conditions[name]; !ok {
			t.Fatalf("condition %s has no default resolution in this test", name)
		}
	}
	// resolve picks the branch of Fn::If the defaults take; nil is AWS::NoValue.
	var resolve func(v any) any
	resolve = func(v any) any {
		if args, ok := get(v, "Fn::If").([]any); ok {
			if conditions[str(args[0])] {
				return resolve(args[1])
			}
			return resolve(args[2])
		}
		if get(v, "Ref") == "AWS::NoValue" {
			return nil
		}
		return v
	}
	var grants []string
	list, _ := policies.([]any)
	for _, p := range list {
		stmts, _ := get(p, "Statement").([]any)
		for _, s := range stmts {
			s = resolve(s)
			if s == nil || get(s, "Effect") != "Allow" {
				continue
			}
			actions := []any{get(s, "Action")}
			if l, ok := get(s, "Action").([]any); ok {
				actions = l
			}
			resources := []any{get(s, "Resource")}
			if l, ok := get(s, "Resource").([]any); ok {
				resources = l
			}
			for _, a := range actions {
				action := strings.TrimPrefix(str(a), "s3:")
				if strings.HasPrefix(str(a), "kms:") {
					continue
				}
				for _, r := range resources {
					r = resolve(r)
					if r == nil {
						continue
					}
					if action == "ListBucket" {
						if fmt.Sprint(r) != fmt.Sprint(map[string]any{"Fn::GetAtt": []any{"SessionBucket", "Arn"}}) {
							t.Errorf("ListBucket on %v", r)
						}
						grants = append(grants, listGrants(t, get(s, "Condition"), resolve, params)...)
						continue
					}
					arn := str(get(r, "Fn::Sub"))
					prefix, ok := strings.CutPrefix(arn, "${SessionBucket.Arn}/")
					if !ok || !strings.HasSuffix(prefix, "*") {
						t.Errorf("%s on %v is not a prefix of the session bucket", action, r)
						continue
					}
					prefix = strings.ReplaceAll(strings.TrimSuffix(prefix, "*"), "${CompareImagePrefix}", str(get(params, "CompareImagePrefix", "Default")))
					grants = append(grants, action+" "+prefix)
				}
			}
		}
	}
	sort.Strings(grants)
	return slices.Compact(grants)
}

// listGrants reads a ListBucket statement's condition: "List <folder>/" for each
// s3:prefix pattern "<folder>/*" of a StringLike condition, or "List bucket" without
// a condition (listing everything, which no function needs).
func listGrants(t *testing.T, condition any, resolve func(any) any, params map[string]any) []string {
	t.Helper()
	if condition == nil {
		return []string{"List bucket"}
	}
	if len(condition.(map[string]any)) != 1 || len(get(condition, "StringLike").(map[string]any)) != 1 {
		t.Errorf("ListBucket condition %v: want StringLike on s3:prefix alone", condition)
	}
	patterns := get(condition, "StringLike", "s3:prefix")
	list, ok := patterns.([]any)
	if !ok {
		list = []any{patterns}
	}
	var grants []string
	for _, p := range list {
		p = resolve(p)
		if p == nil {
			continue
		}
		pattern := str(p)
		if sub, ok := get(p, "Fn::Sub").(string); ok {
			pattern = strings.ReplaceAll(sub, "${CompareImagePrefix}", str(get(params, "CompareImagePrefix", "Default")))
		}
		prefix, ok := strings.CutSuffix(pattern, "*")
		if !ok || !strings.HasSuffix(prefix, "/") || strings.Count(prefix, "/") != 1 {
			t.Errorf("s3:prefix %v is not a folder pattern such as due/*", p)
			continue
		}
		grants = append(grants, "List "+prefix)
	}
	return grants
}

// ---- serverless.yml (Tencent Serverless Cloud Framework) ----

func TestServerlessYAMLAgreesWithCode(t *testing.T) {
	doc := loadYAML(t, "serverless.yml")
	if doc["component"] != "multi-scf" {
		t.Fatalf("component = %v", doc["component"])
	}
	inputs := get(doc, "inputs")
	// make package lays out dist/scf-amd64/<fn>/ with main and scf_bootstrap (cmd/pack's
	// test checks the files); each function's src names its directory.
	if src := get(inputs, "src", "src"); src != "./dist/scf-amd64" {
		t.Errorf("src = %v, want ./dist/scf-amd64 (cmd/pack's SCF directory)", src)
	}
	fns, _ := get(inputs, "functions").(map[string]any)
	if got := sortedNames(fns); !slices.Equal(got, []string{"callback", "result", "start", "sweep"}) {
		t.Fatalf("functions = %v", got)
	}
	code := codeEnvVars(t)
	var firstEnv map[string]any
	for _, fn := range functionNames {
		f := fns[fn]
		if fn == "sweep" {
			// An event function: SCF gives web functions HTTP triggers only, and cmd/pack
			// puts main alone in its directory, the handler of a Go1 event function.
			if get(f, "type") != "event" || get(f, "src") != "./sweep" || get(f, "runtime") != "Go1" || get(f, "handler") != "main" {
				t.Errorf("sweep: type %v src %v runtime %v handler %v; want a Go1 event function from ./sweep, handler main",
					get(f, "type"), get(f, "src"), get(f, "runtime"), get(f, "handler"))
			}
			if timeout, _ := get(f, "timeout").(int); timeout < 30 || timeout > 60 {
				t.Errorf("sweep timeout = %v, want 30-60 s for a one-minute timer", get(f, "timeout"))
			}
		} else if get(f, "type") != "web" || get(f, "src") != "./"+fn || get(f, "runtime") != "Go1" || get(f, "handler") != "scf_bootstrap" {
			// Web functions: multi-scf cannot switch integrated response on, so an event
			// function's answers would reach the browser as JSON text.
			t.Errorf("%s: type %v src %v runtime %v; want a Go1 web function from ./%s", fn, get(f, "type"), get(f, "src"), get(f, "runtime"), fn)
		}
		if str(get(f, "role")) == "" || get(f, "timeout") == nil || get(f, "memorySize") == nil {
			t.Errorf("%s: role, timeout and memorySize must be set", fn)
		}
		if get(f, "environment") != nil {
			t.Errorf("%s: multi-scf replaces an environment map with an empty one; use environments", fn)
		}
		list, _ := get(f, "environments").([]any)
		vars := map[string]any{}
		set := map[string]bool{}
		for _, item := range list {
			name := str(get(item, "key"))
			if _, dup := vars[name]; dup || name == "" {
				t.Errorf("%s: environment key %q empty or repeated", fn, name)
			}
			vars[name] = get(item, "value")
			set[name] = true
			for _, reserved := range []string{"SCF_", "QCLOUD_", "TENCENTCLOUD_"} {
				if strings.HasPrefix(name, reserved) {
					t.Errorf("%s: %s uses the reserved prefix %s", fn, name, reserved)
				}
			}
		}
		checkEnv(t, "serverless.yml "+fn, set, code, notInSCF)
		if vars["FACEGATE_STORE"] != "cos" || vars["FACEGATE_COOKIE_SECURE"] != "true" {
			t.Errorf("%s: store %v, cookie secure %v", fn, vars["FACEGATE_STORE"], vars["FACEGATE_COOKIE_SECURE"])
		}
		if firstEnv == nil {
			firstEnv = vars
		} else if fmt.Sprint(vars) != fmt.Sprint(firstEnv) {
			t.Errorf("%s has a different environment from start", fn)
		}
	}

	// Routes: Tencent's gateway has no OPTIONS method, so ANY stands in for it. The
	// sweep function has one trigger, its timer, every minute.
	triggers, _ := get(inputs, "triggers").([]any)
	var apis, timers []any
	for _, tr := range triggers {
		switch get(tr, "type") {
		case "apigw":
			a, _ := get(tr, "parameters", "apis").([]any)
			apis = append(apis, a...)
		case "timer":
			timers = append(timers, tr)
		default:
			t.Errorf("trigger %v: not one of the functions' triggers", tr)
		}
	}
	if len(timers) != 1 || get(timers[0], "function") != "sweep" || get(timers[0], "parameters", "cronExpression") != "0 */1 * * * * *" ||
		get(timers[0], "parameters", "enable") != true || str(get(timers[0], "parameters", "name")) == "" {
		t.Errorf("timer triggers = %v, want one enabled timer for sweep, cron 0 */1 * * * * *", timers)
	}
	for _, r := range core.RouteTable() {
		found := false
		for _, a := range apis {
			if get(a, "path") == r.Path && get(a, "function") == r.Function && (get(a, "method") == r.Method || get(a, "method") == "ANY") {
				found = true
			}
		}
		if !found {
			t.Errorf("no API for %s %s -> %s", r.Method, r.Path, r.Function)
		}
	}
	for _, a := range apis {
		known := false
		for _, r := range core.RouteTable() {
			known = known || (r.Path == get(a, "path") && r.Function == get(a, "function"))
		}
		if !known {
			t.Errorf("API %v %v is not a route of the code", get(a, "method"), get(a, "path"))
		}
		// multi-scf ignores it (and web functions need none); it would only mislead.
		if get(a, "isIntegratedResponse") != nil || get(a, "function", "isIntegratedResponse") != nil {
			t.Errorf("API %v: isIntegratedResponse has no effect here", get(a, "path"))
		}
		if m := str(get(a, "method")); !slices.Contains([]string{"GET", "POST", "PUT", "DELETE", "HEAD", "ANY"}, m) {
			t.Errorf("API %v: Tencent's gateway has no method %q", get(a, "path"), m)
		}
		// A usage plan's per-second limit counts the calls made with an API key bound to
		// the plan; these APIs take no key (auth would make browsers need one), so a plan
		// here would look like a throttle and hold nothing back. The gateway's Basic
		// Throttling plugin, set in the console, is the throttle (README).
		if get(a, "usagePlan") != nil || get(a, "auth") != nil {
			t.Errorf("API %v: a usage plan or API key does not throttle keyless callers", get(a, "path"))
		}
	}

	// The bucket the functions use is the one deploy/cos creates.
	bucket := loadYAML(t, "deploy/cos/serverless.yml")
	if bucket["component"] != "cos" || get(bucket, "inputs", "bucket") != firstEnv["FACEGATE_COS_BUCKET"] ||
		get(bucket, "inputs", "acl", "permissions") != "private" || get(bucket, "app") != doc["app"] {
		t.Errorf("deploy/cos/serverless.yml does not create the functions' private bucket: %v", bucket)
	}
}

// TestCAMPoliciesMatchTheCode keeps the SCF execution-role policies in deploy/cam
// exactly what the code does (the same check as the Lambda roles'): the faceid actions
// each function calls and what it does to the bucket. facegate-<fn>.json is for every
// deployment, facegate-<fn>-media.json for functions that touch media when
// FACEGATE_STORE_MEDIA=true.
func TestCAMPoliciesMatchTheCode(t *testing.T) {
	files, err := filepath.Glob(filepath.Join(repoRoot, "deploy", "cam", "*.json"))
	if err != nil {
		t.Fatal(err)
	}
	known := map[string]bool{}
	for _, media := range []bool{false, true} {
		want := observedGrants(t, media)
		for _, fn := range functionNames {
			names := []string{"facegate-" + fn + ".json"}
			if media {
				names = append(names, "facegate-"+fn+"-media.json")
			}
			var grants []string
			for _, name := range names {
				known[name] = true
				g, ok := camGrants(t, filepath.Join(repoRoot, "deploy", "cam", name))
				if !ok && name == names[0] {
					t.Fatalf("deploy/cam/%s is missing", name)
				}
				grants = append(grants, g...)
			}
			sort.Strings(grants)
			grants = slices.Compact(grants)
			if want := camView(want[fn]); !slices.Equal(grants, want) {
				t.Errorf("media %v: %s CAM grants %v\nbut the code does %v", media, fn, grants, want)
			}
		}
	}
	for _, f := range files {
		if !known[filepath.Base(f)] {
			t.Errorf("deploy/cam/%s belongs to no function", filepath.Base(f))
		}
	}
}

// camView is what the CAM policies say of a function's grants. They allow listing (COS
// GetBucket) on the whole bucket: COS's cos:prefix condition would narrow it, but how it
// must be written and whether COS consults it for the 404 of a missing key are not
// documented, and no COS is reachable here to find out, so every "List <folder>/"
// becomes "List bucket".
func camView(grants []string) []string {
	var out []string
	for _, g := range grants {
		if strings.HasPrefix(g, "List ") {
			g = "List bucket"
		}
		out = append(out, g)
	}
	sort.Strings(out)
	return slices.Compact(out)
}

// camGrants reads a CAM policy as grants: the faceid actions it allows, as
// "faceid:<action>", and what it allows on the session bucket; ok is false when the
// file does not exist.
func camGrants(t *testing.T, path string) (grants []string, ok bool) {
	t.Helper()
	b, err := os.ReadFile(path)
	if os.IsNotExist(err) {
		return nil, false
	}
	if err != nil {
		t.Fatal(err)
	}
	var policy struct {
		Version   string
		Statement []struct {
			Effect   string
			Action   []string
			Resource []string
		}
	}
	if err := json.Unmarshal(b, &policy); err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	if policy.Version != "2.0" {
		t.Errorf("%s: version %q, want 2.0", path, policy.Version)
	}
	for _, s := range policy.Statement {
		if s.Effect != "allow" {
			continue
		}
		for _, a := range s.Action {
			if action, ok := strings.CutPrefix(a, "name/faceid:"); ok {
				// faceid actions take no resource narrower than "*".
				if !slices.Equal(s.Resource, []string{"*"}) {
					t.Errorf("%s: %s on %v, want *", path, a, s.Resource)
				}
				grants = append(grants, "faceid:"+action)
				continue
			}
			action, isCOS := strings.CutPrefix(a, "name/cos:")
			if !isCOS {
				t.Errorf("%s: action %s is neither faceid's nor COS's", path, a)
				continue
			}
			for _, r := range s.Resource {
				prefix, inBucket := strings.CutPrefix(r, "qcs::cos:${REGION}:uid/${APPID}:${BUCKET}/")
				if !inBucket {
					t.Errorf("%s: %s on %s, outside the session bucket", path, a, r)
					continue
				}
				if action == "GetBucket" && prefix == "*" {
					grants = append(grants, "List bucket")
					continue
				}
				grants = append(grants, action+" "+strings.TrimSuffix(prefix, "*"))
			}
		}
	}
	return grants, true
}

// TestMakefileDeploysTheLifecycle: the cos component cannot set lifecycle rules, so
// deploy-scf must run deploy/coslifecycle (whose own test checks the rule).
func TestMakefileDeploysTheLifecycle(t *testing.T) {
	b, err := os.ReadFile(filepath.Join(repoRoot, "Makefile"))
	if err != nil {
		t.Fatal(err)
	}
	mk := string(b)
	start := strings.Index(mk, "\ndeploy-scf:")
	if start < 0 {
		t.Fatal("Makefile has no deploy-scf target")
	}
	recipe := mk[start:]
	if end := strings.Index(recipe[1:], "\n\n"); end > 0 {
		recipe = recipe[:end+1]
	}
	for _, step := range []string{"cd deploy/cos && scf deploy", "./deploy/coslifecycle", "\tscf deploy"} {
		if !strings.Contains(recipe, step) {
			t.Errorf("deploy-scf does not run %q:\n%s", step, recipe)
		}
	}
}
