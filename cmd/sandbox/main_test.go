package main

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"io"
	"net/http"
	"regexp"
	"strings"
	"testing"

	"github.com/facegate/facegate/pkg/sandbox"
	"github.com/tencentcloud/tencentcloud-sdk-go/tencentcloud/common"
	tchttp "github.com/tencentcloud/tencentcloud-sdk-go/tencentcloud/common/http"
	"github.com/tencentcloud/tencentcloud-sdk-go/tencentcloud/common/profile"
)

// startRun runs the command on free loopback ports and returns the API endpoint and page
// origin it printed, and a function that stops it and returns run's error.
func startRun(t *testing.T, extra ...string) (endpoint, pageURL string, stop func() error) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	pr, pw := io.Pipe()
	done := make(chan error, 1)
	args := append([]string{"-api-addr", "127.0.0.1:0", "-page-addr", "127.0.0.1:0"}, extra...)
	go func() {
		err := run(ctx, args, pw)
		pw.Close()
		done <- err
	}()
	apiRe := regexp.MustCompile(`^\s+API:\s+http://(\S+)`)
	pageRe := regexp.MustCompile(`^\s+Page:\s+(\S+)`)
	sc := bufio.NewScanner(pr)
	for sc.Scan() {
		line := sc.Text()
		if m := apiRe.FindStringSubmatch(line); m != nil {
			endpoint = m[1]
		}
		if m := pageRe.FindStringSubmatch(line); m != nil {
			pageURL = m[1]
		}
		if strings.HasPrefix(line, "Ctrl-C") {
			break
		}
	}
	go io.Copy(io.Discard, pr) // request logs keep coming
	if endpoint == "" || pageURL == "" {
		cancel()
		t.Fatalf("banner without addresses; run returned %v", <-done)
	}
	return endpoint, pageURL, func() error { cancel(); return <-done }
}

func TestRunServesAndShutsDown(t *testing.T) {
	endpoint, pageURL, stop := startRun(t)

	p := profile.NewClientProfile()
	p.HttpProfile.Endpoint, p.HttpProfile.Scheme = endpoint, "HTTP"
	client := common.NewCommonClient(common.NewCredential(sandbox.TestSecretID, sandbox.TestSecretKey), "ap-singapore", p)
	req := tchttp.NewCommonRequest("faceid", "2018-03-01", "ApplyWebVerificationBizTokenIntl")
	if err := req.SetActionParameters(map[string]any{"RedirectURL": "https://merchant.test/cb", "Config": map[string]any{"CheckMode": 3}}); err != nil {
		t.Fatal(err)
	}
	resp := tchttp.NewCommonResponse()
	if err := client.Send(req, resp); err != nil {
		t.Fatalf("apply through the command: %v", err)
	}
	var out struct {
		Response struct{ VerificationURL string }
	}
	if err := json.Unmarshal(resp.GetBody(), &out); err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(out.Response.VerificationURL, pageURL+"/reflect/?token=") {
		t.Fatalf("VerificationURL %q not on page origin %q", out.Response.VerificationURL, pageURL)
	}
	page, err := http.Get(out.Response.VerificationURL)
	if err != nil {
		t.Fatal(err)
	}
	page.Body.Close()
	if page.StatusCode != http.StatusOK {
		t.Fatalf("page: %s", page.Status)
	}

	if err := stop(); err != nil {
		t.Fatalf("run after cancel: %v", err)
	}
	if _, err := http.Get(pageURL + "/"); err == nil {
		t.Fatal("page server still answering after shutdown")
	}
}

func TestRunExtraCredential(t *testing.T) {
	endpoint, _, stop := startRun(t, "-quiet", "-secret-id", "AKID-mine", "-secret-key", "my-key", "-rate-limit", "-1")
	defer stop()
	p := profile.NewClientProfile()
	p.HttpProfile.Endpoint, p.HttpProfile.Scheme = endpoint, "HTTP"
	client := common.NewCommonClient(common.NewCredential("AKID-mine", "my-key"), "ap-singapore", p)
	req := tchttp.NewCommonRequest("faceid", "2018-03-01", "CreateUploadUrl")
	req.SetActionParameters(map[string]any{"TargetAction": "ApplyWebVerificationToken"})
	if err := client.Send(req, tchttp.NewCommonResponse()); err != nil {
		t.Fatalf("extra credential: %v", err)
	}
}

func TestRunRejectsBadFlags(t *testing.T) {
	for _, args := range [][]string{
		{"-rate-limit", "fast"},
		{"-secret-id", "AKID-only"},
		{"-session-token", "tok"},
		{"-drop-rate", "2"},
		{"stray"},
		{"-api-addr", "not-an-address"},
	} {
		if err := run(context.Background(), args, io.Discard); err == nil {
			t.Errorf("%v: accepted", args)
		}
	}
	if err := run(context.Background(), []string{"-h"}, io.Discard); !errors.Is(err, flag.ErrHelp) {
		t.Errorf("-h: %v", err)
	}
}
