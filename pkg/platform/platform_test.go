package platform_test

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/facegate/facegate/internal/runtimetest"
	"github.com/facegate/facegate/pkg/platform"
)

func TestDetect(t *testing.T) {
	tests := []struct {
		name string
		env  map[string]string
		want platform.Kind
		err  bool
	}{
		{"nothing set", nil, platform.Local, false},
		{"lambda runtime api", map[string]string{"AWS_LAMBDA_RUNTIME_API": "127.0.0.1:9001"}, platform.Lambda, false},
		{"scf event rpc port", map[string]string{"_LAMBDA_SERVER_PORT": "9000", "TENCENTCLOUD_RUNENV": "SCF"}, platform.SCFEvent, false},
		{"scf without rpc port is a web function", map[string]string{"TENCENTCLOUD_RUNENV": "SCF"}, platform.SCFWeb, false},
		{"lambda wins over a stray rpc port", map[string]string{"AWS_LAMBDA_RUNTIME_API": "x", "_LAMBDA_SERVER_PORT": "1"}, platform.Lambda, false},
		{"override", map[string]string{"FACEGATE_RUNTIME": "local", "AWS_LAMBDA_RUNTIME_API": "x"}, platform.Local, false},
		{"override any case", map[string]string{"FACEGATE_RUNTIME": " SCF-Web "}, platform.SCFWeb, false},
		{"bad override", map[string]string{"FACEGATE_RUNTIME": "k8s"}, "", true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := platform.Detect(func(k string) string { return tt.env[k] })
			if (err != nil) != tt.err || got != tt.want {
				t.Errorf("Detect = %q, %v; want %q, error %v", got, err, tt.want, tt.err)
			}
		})
	}
}

func TestClientIPFallsBackToRemoteAddr(t *testing.T) {
	r := httptest.NewRequest(http.MethodGet, "/", nil)
	r.RemoteAddr = "192.0.2.1:4321"
	if got := platform.ClientIP(r); got != "192.0.2.1" {
		t.Errorf("ClientIP = %q", got)
	}
	// X-Forwarded-For is client-controlled and must not be believed.
	r.Header.Set("X-Forwarded-For", "10.9.9.9")
	if got := platform.ClientIP(r); got != "192.0.2.1" {
		t.Errorf("ClientIP with X-Forwarded-For = %q", got)
	}
	if got := platform.RequestID(context.Background()); got != "" {
		t.Errorf("RequestID outside a request = %q", got)
	}
}

func TestLogHandlerLeavesPlainRecordsAlone(t *testing.T) {
	var buf bytes.Buffer
	logger := slog.New(platform.LogHandler(slog.NewJSONHandler(&buf, nil))).With("component", "x").WithGroup("g")
	logger.InfoContext(context.Background(), "hello", "k", "v")
	var rec map[string]any
	if err := json.Unmarshal(buf.Bytes(), &rec); err != nil {
		t.Fatal(err)
	}
	if _, ok := rec["request_id"]; ok {
		t.Errorf("request_id without a request: %s", buf.String())
	}
	if rec["component"] != "x" || rec["g"].(map[string]any)["k"] != "v" {
		t.Errorf("attrs or groups lost: %s", buf.String())
	}
}

// TestRunLocalServesAndStops drives Run in-process: the local server answers with
// request ids and the log handler tags records, and cancelling ctx returns nil.
func TestRunLocalServesAndStops(t *testing.T) {
	lis, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := lis.Addr().String()
	lis.Close()

	var logs runtimetest.Buffer
	logger := slog.New(platform.LogHandler(slog.NewJSONHandler(&logs, nil)))
	h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		logger.InfoContext(r.Context(), "handled")
		io.WriteString(w, platform.RequestID(r.Context())+" "+platform.ClientIP(r))
	})
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() {
		done <- platform.Run(ctx, h, platform.Options{Name: "unit", Logger: logger, Addr: addr, Getenv: func(string) string { return "" }})
	}()

	var body string
	for body == "" {
		resp, err := http.Get("http://" + addr + "/")
		if err != nil {
			select {
			case err := <-done:
				t.Fatalf("Run returned early: %v", err)
			default:
			}
			time.Sleep(5 * time.Millisecond)
			continue
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		body = string(b)
	}
	id, ip, _ := strings.Cut(body, " ")
	if len(id) != 24 || ip != "127.0.0.1" {
		t.Errorf("request id %q, client ip %q", id, ip)
	}
	if !strings.Contains(logs.String(), `"function":"unit","request_id":"`+id+`"`) {
		t.Errorf("log record lacks function and request_id:\n%s", logs.String())
	}
	cancel()
	if err := <-done; err != nil {
		t.Errorf("Run after cancel: %v", err)
	}
}

func TestRunReportsBusyPort(t *testing.T) {
	lis, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer lis.Close()
	err = platform.Run(context.Background(), http.NotFoundHandler(), platform.Options{
		Addr: lis.Addr().String(), Logger: slog.New(slog.DiscardHandler), Getenv: func(string) string { return "" },
	})
	if err == nil || !strings.Contains(err.Error(), "listen") {
		t.Errorf("Run on a busy port = %v", err)
	}
}

func TestRunSCFEventNeedsPort(t *testing.T) {
	err := platform.Run(context.Background(), http.NotFoundHandler(), platform.Options{
		Kind: platform.SCFEvent, Logger: slog.New(slog.DiscardHandler), Getenv: func(string) string { return "" },
	})
	if err == nil || !strings.Contains(err.Error(), "_LAMBDA_SERVER_PORT") {
		t.Errorf("Run = %v", err)
	}
}
