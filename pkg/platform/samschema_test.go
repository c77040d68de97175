package platform_test

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"sync"
	"testing"

	"github.com/awslabs/goformation/v7"
	gfschema "github.com/awslabs/goformation/v7/schema"
	"github.com/santhosh-tekuri/jsonschema/v5"
)

// template.yaml is held to the CloudFormation and SAM resource definitions that
// goformation generates from AWS's resource specification (its schema package, the
// same JSON as the module's schema/sam.schema.json, compiled into the test so nothing
// is read from the module cache at run time). goformation must parse the template, and
// the template must validate against that schema, made to accept intrinsic functions:
// resource types the schema knows, property names it knows at every depth, required
// properties, enum values, and types wherever no intrinsic function stands in.

// TestSAMTemplateMatchesSchema parses template.yaml with goformation and validates it
// against goformation's SAM schema. Run it alone with
// go test -run '^TestSAMTemplateMatchesSchema$' ./pkg/platform
func TestSAMTemplateMatchesSchema(t *testing.T) {
	raw, err := os.ReadFile(filepath.Join(repoRoot, "template.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	parsed, err := goformation.ParseYAML(raw)
	if err != nil {
		t.Fatalf("goformation cannot parse template.yaml: %v", err)
	}
	if len(parsed.Resources) == 0 {
		t.Fatal("goformation found no resources in template.yaml")
	}
	schema := loadSAMSchema(t)
	tpl := loadYAML(t, "template.yaml")
	if problems := schema.check(tpl); len(problems) > 0 {
		t.Fatalf("template.yaml does not match goformation's SAM schema:\n%s", strings.Join(problems, "\n"))
	}

	// The checker must be able to fail: each mistake below, made in a copy of the
	// template, is reported at its place.
	for _, tt := range []struct {
		name string
		edit func(tpl map[string]any)
		want string // a part of one reported problem
	}{
		{"unknown property at depth", func(tpl map[string]any) {
			rule := get(tpl, "Resources", "SessionBucket", "Properties", "LifecycleConfiguration", "Rules").([]any)[0].(map[string]any)
			rule["ExpireAfterDays"] = 3
		}, "/Resources/SessionBucket/Properties/LifecycleConfiguration/Rules/0: additionalProperties 'ExpireAfterDays' not allowed"},
		{"unknown property in Globals", func(tpl map[string]any) {
			get(tpl, "Globals", "Function", "Environment").(map[string]any)["Varaibles"] = map[string]any{}
		}, "/Globals/Function/Environment: additionalProperties 'Varaibles' not allowed"},
		{"unknown property in a SAM policy", func(tpl map[string]any) {
			policy := get(tpl, "Resources", "StartFunction", "Properties", "Policies").([]any)[0].(map[string]any)
			policy["Statements"] = policy["Statement"]
			delete(policy, "Statement")
		}, "/Resources/StartFunction/Properties/Policies/0: additionalProperties 'Statements' not allowed"},
		{"unknown resource type", func(tpl map[string]any) {
			get(tpl, "Resources", "SessionBucket").(map[string]any)["Type"] = "AWS::S3::Buckets"
		}, "/Resources/SessionBucket: resource type AWS::S3::Buckets is not in the schema"},
		{"missing required property", func(tpl map[string]any) {
			delete(get(tpl, "Resources", "HttpApiStage", "Properties").(map[string]any), "StageName")
		}, "/Resources/HttpApiStage/Properties: missing properties: 'StageName'"},
		{"missing required property of a SAM type", func(tpl map[string]any) {
			delete(get(tpl, "Globals", "Function", "Environment").(map[string]any), "Variables")
		}, "/Globals/Function/Environment: missing properties: 'Variables'"},
		{"bad enum value", func(tpl map[string]any) {
			get(tpl, "Resources", "SessionBucket").(map[string]any)["DeletionPolicy"] = "Keep"
		}, "/Resources/SessionBucket/DeletionPolicy: value must be one of"},
		{"bad parameter type", func(tpl map[string]any) {
			get(tpl, "Parameters", "MemorySize").(map[string]any)["Type"] = "Integer"
		}, "/Parameters/MemorySize/Type: value must be one of"},
		{"wrong type without an intrinsic", func(tpl map[string]any) {
			get(tpl, "Resources", "HttpApiStage", "Properties").(map[string]any)["AutoDeploy"] = "yes"
		}, "/Resources/HttpApiStage/Properties/AutoDeploy: expected boolean, but got string"},
		{"misspelt property of an event source the schema lags behind on", func(tpl map[string]any) {
			props := get(tpl, "Resources", "SweepFunction", "Properties", "Events", "Sweep", "Properties").(map[string]any)
			props["ScheduleExpresion"] = props["ScheduleExpression"]
			delete(props, "ScheduleExpression")
		}, "/Resources/SweepFunction/Properties/Events/Sweep/Properties: additionalProperties 'ScheduleExpresion'"},
		{"bad retry policy of a ScheduleV2 event", func(tpl map[string]any) {
			get(tpl, "Resources", "SweepFunction", "Properties", "Events", "Sweep", "Properties", "RetryPolicy").(map[string]any)["MaximumRetries"] = 0
		}, "/Resources/SweepFunction/Properties/Events/Sweep/Properties/RetryPolicy: additionalProperties 'MaximumRetries' not allowed"},
		{"unknown intrinsic function", func(tpl map[string]any) {
			get(tpl, "Resources", "StartFunction", "Properties").(map[string]any)["FunctionName"] = map[string]any{"Fn::Sbu": "${AWS::StackName}-start"}
		}, "/Resources/StartFunction/Properties/FunctionName: expected string, but got object"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			mutated := copyTemplate(t, tpl)
			tt.edit(mutated)
			problems := schema.check(mutated)
			if !slices.ContainsFunc(problems, func(p string) bool { return strings.Contains(p, tt.want) }) {
				t.Errorf("want a problem containing %q; got:\n%s", tt.want, strings.Join(problems, "\n"))
			}
		})
	}

	// What the schema does not know is not reported: intrinsic functions wherever a
	// value goes, and numbers where a parameter's attributes are typed as strings.
	t.Run("intrinsics and numbers are accepted", func(t *testing.T) {
		mutated := copyTemplate(t, tpl)
		get(mutated, "Globals", "Function").(map[string]any)["Timeout"] = map[string]any{"Fn::If": []any{"HasKMSKey", 30, 15}}
		get(mutated, "Resources", "HttpApiStage", "Properties").(map[string]any)["AutoDeploy"] = map[string]any{"Fn::Equals": []any{"a", "a"}}
		get(mutated, "Parameters", "ThrottleRateLimit").(map[string]any)["MaxValue"] = 1000
		if problems := schema.check(mutated); len(problems) > 0 {
			t.Errorf("reported:\n%s", strings.Join(problems, "\n"))
		}
	})
}

// copyTemplate returns a deep copy of a template loaded by loadYAML.
func copyTemplate(t *testing.T, tpl map[string]any) map[string]any {
	t.Helper()
	b, err := json.Marshal(tpl)
	if err != nil {
		t.Fatal(err)
	}
	var c map[string]any
	if err := json.Unmarshal(b, &c); err != nil {
		t.Fatal(err)
	}
	return c
}

// ---- The schema, made to accept intrinsic functions ----

const (
	// samSchemaURL names the schemas inside the compiler; nothing is fetched from it.
	samSchemaURL = "https://goformation.invalid/sam.schema.json"
	// intrinsicDef is the definition added to the schema for an intrinsic function.
	intrinsicDef = "facegate.Intrinsic"
)

// intrinsicFunctions are the keys of CloudFormation's intrinsic functions in their long
// form (loadYAML turns !Ref, !Sub, !GetAtt ... into these). Condition is the reference
// to a condition inside Fn::If, Fn::And and the like.
var intrinsicFunctions = []string{
	"Ref", "Condition", "Fn::Base64", "Fn::Cidr", "Fn::FindInMap", "Fn::GetAtt", "Fn::GetAZs",
	"Fn::ImportValue", "Fn::Join", "Fn::Select", "Fn::Split", "Fn::Sub", "Fn::Transform",
	"Fn::If", "Fn::Equals", "Fn::Not", "Fn::And", "Fn::Or", "Fn::Length", "Fn::ToJsonString",
}

// schemaLag lists resource properties CloudFormation has and goformation's generated
// schema does not have yet, with their types. Each is added only while the schema lacks it.
var schemaLag = map[string]map[string]any{
	// The permission a function URL needs for lambda:InvokeFunction since October 2025.
	"AWS::Lambda::Permission": {"InvokedViaFunctionUrl": map[string]any{"type": "boolean"}},
}

// samEventLag lists the event source types of AWS::Serverless::Function that SAM has and
// goformation's schema does not have yet, with the definition of their Properties as
// SAM documents them. Each is added to the schema's choices for an event's Properties
// only while the schema lacks it.
var samEventLag = map[string]map[string]any{
	// An EventBridge Scheduler schedule (sam-property-function-schedulev2); FlexibleTimeWindow
	// and RetryPolicy are AWS::Scheduler::Schedule's own types.
	"ScheduleV2": {
		"type":                 "object",
		"additionalProperties": false,
		"required":             []any{"ScheduleExpression"},
		"properties": map[string]any{
			"DeadLetterConfig": map[string]any{
				"type": "object", "additionalProperties": false,
				"properties": map[string]any{
					"Arn": map[string]any{"type": "string"}, "QueueLogicalId": map[string]any{"type": "string"},
					"Type": map[string]any{"type": "string", "enum": []any{"SQS"}},
				},
			},
			"Description":                map[string]any{"type": "string"},
			"EndDate":                    map[string]any{"type": "string"},
			"FlexibleTimeWindow":         map[string]any{"$ref": "#/definitions/AWS::Scheduler::Schedule.FlexibleTimeWindow"},
			"GroupName":                  map[string]any{"type": "string"},
			"Input":                      map[string]any{"type": "string"},
			"KmsKeyArn":                  map[string]any{"type": "string"},
			"Name":                       map[string]any{"type": "string"},
			"OmitName":                   map[string]any{"type": "boolean"},
			"PermissionsBoundary":        map[string]any{"type": "string"},
			"RetryPolicy":                map[string]any{"$ref": "#/definitions/AWS::Scheduler::Schedule.RetryPolicy"},
			"RoleArn":                    map[string]any{"type": "string"},
			"ScheduleExpression":         map[string]any{"type": "string"},
			"ScheduleExpressionTimezone": map[string]any{"type": "string"},
			"StartDate":                  map[string]any{"type": "string"},
			"State":                      map[string]any{"type": "string", "enum": []any{"ENABLED", "DISABLED"}},
		},
	},
}

// templateSchema validates a template's top level with one compiled schema and each
// resource with the definition of its type, compiled on first use. Each is compiled from
// only the definitions it refers to: compiling all 7,000 of them would take seconds.
type templateSchema struct {
	defs          map[string]any // the schema's definitions, made to accept intrinsics
	top           *jsonschema.Schema
	resourceTypes map[string]bool

	mu     sync.Mutex
	byType map[string]*jsonschema.Schema
}

// samSchema parses and compiles the schema once per test binary.
var samSchema = sync.OnceValues(compileSAMSchema)

func loadSAMSchema(t *testing.T) *templateSchema {
	t.Helper()
	s, err := samSchema()
	if err != nil {
		t.Fatalf("goformation's SAM schema: %v", err)
	}
	return s
}

func compileSAMSchema() (*templateSchema, error) {
	var doc map[string]any
	dec := json.NewDecoder(strings.NewReader(gfschema.SamSchema))
	dec.UseNumber()
	if err := dec.Decode(&doc); err != nil {
		return nil, err
	}
	defs, _ := doc["definitions"].(map[string]any)
	// The schema's $id is the draft-04 meta-schema's own URL; keeping it would make the
	// compiler take this schema for the meta-schema.
	delete(doc, "$id")

	// Resources is an anyOf over every resource type, whose failure says only that no
	// type matched. The top level keeps the logical ids and a Type; each resource is
	// checked against its own type's definition instead.
	pattern, _ := get(doc, "properties", "Resources", "patternProperties").(map[string]any)
	if len(pattern) != 1 {
		return nil, fmt.Errorf("Resources has %d patternProperties, want 1", len(pattern))
	}
	s := &templateSchema{resourceTypes: map[string]bool{}, byType: map[string]*jsonschema.Schema{}}
	for key, v := range pattern {
		refs, _ := get(v, "anyOf").([]any)
		for _, r := range refs {
			if name, ok := strings.CutPrefix(str(get(r, "$ref")), "#/definitions/"); ok {
				s.resourceTypes[name] = true
			}
		}
		pattern[key] = map[string]any{"type": "object", "required": []any{"Type"}, "properties": map[string]any{"Type": map[string]any{"type": "string"}}}
	}
	if len(s.resourceTypes) < 1000 || !s.resourceTypes["AWS::Serverless::Function"] {
		return nil, fmt.Errorf("the schema lists %d resource types; it is not the SAM schema", len(s.resourceTypes))
	}

	// A parameter's Default and bounds are strings in the schema, numbers in most templates.
	for _, attr := range []string{"Default", "MinValue", "MaxValue", "MinLength", "MaxLength"} {
		if p, ok := get(defs, "Parameter", "properties", attr).(map[string]any); ok {
			p["type"] = []any{"string", "number"}
		}
	}
	for typ, props := range schemaLag {
		known, ok := get(defs, typ, "properties", "Properties", "properties").(map[string]any)
		if !ok {
			return nil, fmt.Errorf("schema lag: %s has no properties", typ)
		}
		for name, schema := range props {
			if known[name] == nil {
				known[name] = schema
			}
		}
	}

	choices, ok := get(defs, "AWS::Serverless::Function.EventSource", "properties", "Properties", "anyOf").([]any)
	if !ok {
		return nil, errors.New("schema lag: AWS::Serverless::Function.EventSource has no anyOf for Properties")
	}
	for typ, def := range samEventLag {
		if defs["AWS::Serverless::Function."+typ+"Event"] != nil {
			continue
		}
		name := "facegate.Function." + typ + "Event"
		defs[name] = def
		choices = append(choices, map[string]any{"$ref": "#/definitions/" + name})
	}
	get(defs, "AWS::Serverless::Function.EventSource", "properties", "Properties").(map[string]any)["anyOf"] = choices

	acceptIntrinsics(doc)
	intrinsic := map[string]any{}
	for _, name := range intrinsicFunctions {
		intrinsic[name] = map[string]any{}
	}
	defs[intrinsicDef] = map[string]any{
		"type": "object", "minProperties": 1, "maxProperties": 1,
		"properties": intrinsic, "additionalProperties": false,
	}

	s.defs = defs
	delete(doc, "definitions")
	var err error
	if s.top, err = s.compile(samSchemaURL, doc); err != nil {
		return nil, err
	}
	return s, nil
}

// compile compiles root with the definitions it refers to, directly or through others.
func (s *templateSchema) compile(url string, root map[string]any) (*jsonschema.Schema, error) {
	used := map[string]any{}
	seen := map[string]bool{}
	var visit func(v any)
	visit = func(v any) {
		switch v := v.(type) {
		case map[string]any:
			if name, ok := strings.CutPrefix(str(v["$ref"]), "#/definitions/"); ok && !seen[name] {
				seen[name] = true
				// A definition the schema lacks is left out, for the compiler to report.
				if def, ok := s.defs[name]; ok {
					used[name] = def
					visit(def)
				}
			}
			for _, sub := range v {
				visit(sub)
			}
		case []any:
			for _, sub := range v {
				visit(sub)
			}
		}
	}
	visit(root)
	doc := maps.Clone(root)
	doc["definitions"] = used
	b, err := json.Marshal(doc)
	if err != nil {
		return nil, err
	}
	c := jsonschema.NewCompiler()
	c.Draft = jsonschema.Draft4
	if err := c.AddResource(url, bytes.NewReader(b)); err != nil {
		return nil, err
	}
	return c.Compile(url)
}

// acceptIntrinsics lets an intrinsic function stand wherever the schema node describes
// a value: a property, a pattern property, an additional property or an array item
// becomes anyOf [what it was, an intrinsic function]. The resource definitions
// themselves are not wrapped: a resource is never an intrinsic.
func acceptIntrinsics(node map[string]any) {
	either := func(v any) any {
		m, ok := v.(map[string]any)
		if !ok {
			return v // additionalProperties: true or false
		}
		acceptIntrinsics(m)
		return map[string]any{"anyOf": []any{m, map[string]any{"$ref": "#/definitions/" + intrinsicDef}}}
	}
	for _, key := range []string{"properties", "patternProperties"} {
		if m, ok := node[key].(map[string]any); ok {
			for name, sub := range m {
				m[name] = either(sub)
			}
		}
	}
	if ap, ok := node["additionalProperties"]; ok {
		node["additionalProperties"] = either(ap)
	}
	switch items := node["items"].(type) {
	case map[string]any:
		node["items"] = either(items)
	case []any:
		for i, sub := range items {
			items[i] = either(sub)
		}
	}
	for _, key := range []string{"anyOf", "allOf", "oneOf"} {
		list, _ := node[key].([]any)
		for _, sub := range list {
			if m, ok := sub.(map[string]any); ok {
				acceptIntrinsics(m)
			}
		}
	}
	if defs, ok := node["definitions"].(map[string]any); ok {
		for _, def := range defs {
			if m, ok := def.(map[string]any); ok {
				acceptIntrinsics(m)
			}
		}
	}
}

// check validates a template loaded by loadYAML and returns its problems, each as
// "<JSON pointer>: <message>", sorted.
func (s *templateSchema) check(tpl map[string]any) []string {
	doc, err := jsonValue(tpl)
	if err != nil {
		return []string{err.Error()}
	}
	problems := schemaProblems("", s.top.Validate(doc))
	resources, _ := doc.(map[string]any)["Resources"].(map[string]any)
	for _, id := range sortedNames(resources) {
		at := "/Resources/" + id
		typ, _ := get(resources[id], "Type").(string)
		if typ == "" {
			continue // the top level has reported it
		}
		if strings.HasPrefix(typ, "Custom::") {
			typ = "AWS::CloudFormation::CustomResource"
		}
		if !s.resourceTypes[typ] {
			problems = append(problems, fmt.Sprintf("%s: resource type %s is not in the schema", at, typ))
			continue
		}
		schema, err := s.resourceSchema(typ)
		if err != nil {
			problems = append(problems, fmt.Sprintf("%s: %v", at, err))
			continue
		}
		problems = append(problems, schemaProblems(at, schema.Validate(resources[id]))...)
	}
	sort.Strings(problems)
	return slices.Compact(problems)
}

func (s *templateSchema) resourceSchema(typ string) (*jsonschema.Schema, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if sch, ok := s.byType[typ]; ok {
		return sch, nil
	}
	sch, err := s.compile(samSchemaURL+"/"+typ, map[string]any{"$ref": "#/definitions/" + typ})
	if err != nil {
		return nil, err
	}
	s.byType[typ] = sch
	return sch, nil
}

// schemaProblems lists the innermost failures of a validation error, leaving out those
// of the intrinsic-function branches (a value that is not an intrinsic function is not
// news; the other branch says what is wrong with it).
func schemaProblems(at string, err error) []string {
	if err == nil {
		return nil
	}
	var ve *jsonschema.ValidationError
	if !errors.As(err, &ve) {
		return []string{at + ": " + err.Error()}
	}
	var out []string
	var walk func(e *jsonschema.ValidationError)
	walk = func(e *jsonschema.ValidationError) {
		if strings.Contains(e.AbsoluteKeywordLocation, "/definitions/"+intrinsicDef) {
			return
		}
		if len(e.Causes) == 0 {
			out = append(out, at+e.InstanceLocation+": "+e.Message)
			return
		}
		for _, c := range e.Causes {
			walk(c)
		}
	}
	walk(ve)
	if len(out) == 0 {
		out = append(out, at+ve.InstanceLocation+": "+ve.Message)
	}
	return out
}

// jsonValue turns a loadYAML value into the JSON types the validator takes.
func jsonValue(v any) (any, error) {
	b, err := json.Marshal(v)
	if err != nil {
		return nil, err
	}
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.UseNumber()
	var out any
	err = dec.Decode(&out)
	return out, err
}
