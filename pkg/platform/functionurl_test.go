package platform_test

import (
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
)

// Since October 2025 a caller of a Lambda function URL needs both
// lambda:InvokeFunctionUrl and lambda:InvokeFunction. SAM adds both when it creates a
// URL from FunctionUrlConfig with AuthType NONE; raw CloudFormation (AWS::Lambda::Url)
// and IAM policies must say both themselves.

// TestSAMFunctionURLPermissions: template.yaml serves the functions through its HTTP
// API and declares no function URL, but any URL added to it must come with both
// permissions. The README's example of adding one is checked here too.
func TestSAMFunctionURLPermissions(t *testing.T) {
	tpl := loadYAML(t, "template.yaml")
	if problems := functionURLProblems(tpl); len(problems) > 0 {
		t.Fatalf("template.yaml:\n%s", strings.Join(problems, "\n"))
	}

	urlNone := map[string]any{"Type": "AWS::Lambda::Url", "Properties": map[string]any{
		"AuthType": "NONE", "TargetFunctionArn": map[string]any{"Fn::GetAtt": []any{"ResultFunction", "Arn"}}}}
	invokeURL := map[string]any{"Type": "AWS::Lambda::Permission", "Properties": map[string]any{
		"Action": "lambda:InvokeFunctionUrl", "FunctionName": map[string]any{"Ref": "ResultFunction"},
		"Principal": "*", "FunctionUrlAuthType": "NONE"}}
	invokeFunction := func(viaURL bool) map[string]any {
		props := map[string]any{"Action": "lambda:InvokeFunction",
			"FunctionName": map[string]any{"Fn::GetAtt": []any{"ResultFunction", "Arn"}}, "Principal": "*"}
		if viaURL {
			props["InvokedViaFunctionUrl"] = true
		}
		return map[string]any{"Type": "AWS::Lambda::Permission", "Properties": props}
	}
	addStatement := func(tpl map[string]any, actions ...any) {
		policies := get(tpl, "Resources", "StartFunction", "Properties", "Policies").([]any)
		stmts := get(policies[0], "Statement").([]any)
		policies[0].(map[string]any)["Statement"] = append(stmts, map[string]any{"Effect": "Allow", "Action": actions,
			"Resource": map[string]any{"Fn::GetAtt": []any{"ResultFunction", "Arn"}}})
	}
	for _, tt := range []struct {
		name  string
		add   map[string]any // resources added to a copy of the template
		edit  func(tpl map[string]any)
		want  string // a part of the problem reported; "" for none
		valid bool   // the copy must also match the SAM schema
	}{
		{name: "URL without permissions", add: map[string]any{"ResultUrl": urlNone},
			want: "ResultUrl: AuthType NONE but no lambda:InvokeFunctionUrl permission for Principal * on ResultFunction"},
		{name: "URL permission alone", add: map[string]any{"ResultUrl": urlNone, "ResultUrlPermission": invokeURL},
			want: "ResultUrlPermission: grants lambda:InvokeFunctionUrl on ResultFunction to *, but no permission grants lambda:InvokeFunction"},
		{name: "invoke permission not limited to the URL",
			add:  map[string]any{"ResultUrl": urlNone, "ResultUrlPermission": invokeURL, "ResultInvokePermissionForURL": invokeFunction(false)},
			want: "ResultUrlPermission: grants lambda:InvokeFunctionUrl on ResultFunction to *, but no permission grants lambda:InvokeFunction"},
		{name: "both permissions",
			add:   map[string]any{"ResultUrl": urlNone, "ResultUrlPermission": invokeURL, "ResultInvokePermissionForURL": invokeFunction(true)},
			valid: true},
		{name: "SAM FunctionUrlConfig", edit: func(tpl map[string]any) {
			get(tpl, "Resources", "ResultFunction", "Properties").(map[string]any)["FunctionUrlConfig"] = map[string]any{"AuthType": "NONE"}
		}, valid: true},
		{name: "IAM statement with the URL action alone", edit: func(tpl map[string]any) { addStatement(tpl, "lambda:InvokeFunctionUrl") },
			want: "StartFunction: a policy allows lambda:InvokeFunctionUrl without lambda:InvokeFunction"},
		{name: "IAM statement with both actions", edit: func(tpl map[string]any) {
			addStatement(tpl, "lambda:InvokeFunctionUrl", "lambda:InvokeFunction")
		}, valid: true},
	} {
		t.Run(tt.name, func(t *testing.T) {
			c := copyTemplate(t, tpl)
			resources := c["Resources"].(map[string]any)
			for id, r := range tt.add {
				resources[id] = r
			}
			if tt.edit != nil {
				tt.edit(c)
			}
			problems := functionURLProblems(c)
			switch {
			case tt.want == "" && len(problems) > 0:
				t.Errorf("reported:\n%s", strings.Join(problems, "\n"))
			case tt.want != "" && !slices.ContainsFunc(problems, func(p string) bool { return strings.Contains(p, tt.want) }):
				t.Errorf("want a problem containing %q; got:\n%s", tt.want, strings.Join(problems, "\n"))
			}
			if tt.valid {
				if problems := loadSAMSchema(t).check(c); len(problems) > 0 {
					t.Errorf("the SAM schema refuses it:\n%s", strings.Join(problems, "\n"))
				}
			}
		})
	}

	t.Run("README example", func(t *testing.T) {
		example := readmeFunctionURLExample(t)
		c := copyTemplate(t, tpl)
		resources := c["Resources"].(map[string]any)
		urls := 0
		for id, r := range example {
			if resources[id] != nil {
				t.Fatalf("the README's example redefines %s", id)
			}
			resources[id] = r
			if get(r, "Type") == "AWS::Lambda::Url" {
				urls++
			}
		}
		if urls == 0 {
			t.Fatal("the README's example declares no AWS::Lambda::Url")
		}
		if problems := functionURLProblems(c); len(problems) > 0 {
			t.Errorf("permissions:\n%s", strings.Join(problems, "\n"))
		}
		if problems := loadSAMSchema(t).check(c); len(problems) > 0 {
			t.Errorf("schema:\n%s", strings.Join(problems, "\n"))
		}
	})
}

// readmeFunctionURLExample returns the resources of the README's YAML example that
// declares an AWS::Lambda::Url.
func readmeFunctionURLExample(t *testing.T) map[string]any {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(repoRoot, "README.md"))
	if err != nil {
		t.Fatal(err)
	}
	for _, m := range regexp.MustCompile("(?s)```yaml\n(.*?)```").FindAllSubmatch(b, -1) {
		if strings.Contains(string(m[1]), "AWS::Lambda::Url") {
			return parseYAML(t, "README.md", m[1])
		}
	}
	t.Fatal("README.md has no YAML example declaring an AWS::Lambda::Url")
	return nil
}

// functionURLProblems checks the rule above over a template loaded by loadYAML:
//   - an AWS::Lambda::Url with AuthType NONE needs a lambda:InvokeFunctionUrl
//     permission for Principal * on its function (or every request gets 403);
//   - every AWS::Lambda::Permission granting lambda:InvokeFunctionUrl needs one granting
//     lambda:InvokeFunction on the same function to the same principal, limited to calls
//     through the URL (InvokedViaFunctionUrl: true), so that the second grant does not
//     let that principal invoke the function by other means;
//   - every Allow statement of a policy in the template that grants
//     lambda:InvokeFunctionUrl grants lambda:InvokeFunction too.
//
// SAM's FunctionUrlConfig needs nothing here: SAM writes both permissions itself.
func functionURLProblems(tpl map[string]any) []string {
	resources, _ := tpl["Resources"].(map[string]any)
	type grant struct{ function, principal string }
	urlGrants := map[grant]string{} // -> the permission's logical id
	invokeGrants := map[grant]bool{}
	var problems []string
	for _, id := range sortedNames(resources) {
		r := resources[id]
		if get(r, "Type") != "AWS::Lambda::Permission" {
			continue
		}
		g := grant{functionID(get(r, "Properties", "FunctionName")), fmt.Sprint(get(r, "Properties", "Principal"))}
		switch get(r, "Properties", "Action") {
		case "lambda:InvokeFunctionUrl":
			urlGrants[g] = id
		case "lambda:InvokeFunction":
			if get(r, "Properties", "InvokedViaFunctionUrl") == true {
				invokeGrants[g] = true
			}
		}
	}
	for _, id := range sortedNames(resources) {
		r := resources[id]
		if get(r, "Type") != "AWS::Lambda::Url" || get(r, "Properties", "AuthType") != "NONE" {
			continue
		}
		fn := functionID(get(r, "Properties", "TargetFunctionArn"))
		if urlGrants[grant{fn, "*"}] == "" {
			problems = append(problems, fmt.Sprintf("%s: AuthType NONE but no lambda:InvokeFunctionUrl permission for Principal * on %s", id, fn))
		}
	}
	for g, id := range urlGrants {
		if !invokeGrants[g] {
			problems = append(problems, fmt.Sprintf("%s: grants lambda:InvokeFunctionUrl on %s to %s, but no permission grants lambda:InvokeFunction "+
				"to the same principal with InvokedViaFunctionUrl: true", id, g.function, g.principal))
		}
	}
	for _, id := range sortedNames(resources) {
		walkStatements(resources[id], func(stmt map[string]any) {
			actions := []any{stmt["Action"]}
			if list, ok := stmt["Action"].([]any); ok {
				actions = list
			}
			if stmt["Effect"] != "Allow" || !slices.Contains(actions, any("lambda:InvokeFunctionUrl")) {
				return
			}
			if !slices.ContainsFunc(actions, func(a any) bool {
				return slices.Contains([]any{"lambda:InvokeFunction", "lambda:Invoke*", "lambda:*", "*"}, a)
			}) {
				problems = append(problems, fmt.Sprintf("%s: a policy allows lambda:InvokeFunctionUrl without lambda:InvokeFunction", id))
			}
		})
	}
	slices.Sort(problems)
	return problems
}

// functionID names the function a FunctionName or ARN refers to: the logical id of
// !Ref F or !GetAtt F.Arn, else the value itself.
func functionID(v any) string {
	if ref, ok := get(v, "Ref").(string); ok {
		return ref
	}
	if args, ok := get(v, "Fn::GetAtt").([]any); ok && len(args) == 2 && args[1] == "Arn" {
		return fmt.Sprint(args[0])
	}
	return fmt.Sprint(v)
}

// walkStatements calls f with every map under v that has an Effect and an Action: the
// statements of inline policies, SAM policies and policy resources alike.
func walkStatements(v any, f func(map[string]any)) {
	switch v := v.(type) {
	case map[string]any:
		if v["Effect"] != nil && v["Action"] != nil {
			f(v)
		}
		for _, sub := range v {
			walkStatements(sub, f)
		}
	case []any:
		for _, sub := range v {
			walkStatements(sub, f)
		}
	}
}
