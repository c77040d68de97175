// Command fn is a probe function for the runtime-protocol tests of package platform:
// a handler with one route per behaviour an adapter must carry across (a redirect with
// one cookie, a JSON echo of what arrived, a binary body, two cookies, a panic, an
// oversized answer, the GOMAXPROCS it runs with), served by platform.Run like the real
// functions. With
// FACEGATE_PROBE_SCHEDULED set it also takes scheduled events, as the sweep function
// does: "ok" logs its deadline and succeeds, "fail" fails, "panic" panics, "wait" runs
// until its context ends.
package main

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"os"
	"runtime"
	"strings"
	"time"

	"github.com/facegate/facegate/pkg/platform"
)

// PNG is the body of GET /image: a PNG signature followed by bytes that are not UTF-8,
// so only a base64 round trip keeps it intact.
var PNG = []byte{0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n', 0x00, 0xff, 0xfe, 0x80, 0x7f, 0xc3}

func main() {
	logger := slog.New(platform.LogHandler(slog.NewJSONHandler(os.Stdout, nil)))
	opts := platform.Options{Name: "probe", Logger: logger, Scheduled: scheduled(os.Getenv("FACEGATE_PROBE_SCHEDULED"), logger)}
	if err := platform.Run(context.Background(), routes(logger), opts); err != nil {
		fmt.Fprintln(os.Stderr, "probe:", err)
		os.Exit(1)
	}
}

// scheduled is the probe's Scheduled function for mode, nil for none.
func scheduled(mode string, logger *slog.Logger) func(context.Context) error {
	if mode == "" {
		return nil
	}
	return func(ctx context.Context) error {
		var deadline int64
		if d, ok := ctx.Deadline(); ok {
			deadline = d.UnixMilli()
		}
		logger.InfoContext(ctx, "probe scheduled", "mode", mode, "deadline_ms", deadline)
		switch mode {
		case "fail":
			return errors.New("probe: the scheduled work failed")
		case "panic":
			panic("probe scheduled panic with secret AKIDprobe")
		case "wait":
			<-ctx.Done()
		}
		return nil
	}
}

func routes(logger *slog.Logger) http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /start", func(w http.ResponseWriter, r *http.Request) {
		logger.InfoContext(r.Context(), "probe start")
		http.SetCookie(w, &http.Cookie{Name: "fg_bind", Value: "nonce-1", Path: "/", HttpOnly: true, Secure: true, SameSite: http.SameSiteLaxMode,
			Expires: time.Date(2030, 1, 2, 3, 4, 5, 0, time.UTC)})
		w.Header().Set("Location", "https://verify.example.com/h5?token="+r.URL.Query().Get("returnTo"))
		w.Header().Set("Cache-Control", "no-store")
		w.WriteHeader(http.StatusFound)
	})
	mux.HandleFunc("/echo", func(w http.ResponseWriter, r *http.Request) {
		body, err := io.ReadAll(r.Body)
		if err != nil {
			http.Error(w, "read", http.StatusBadRequest)
			return
		}
		var deadline int64
		if d, ok := r.Context().Deadline(); ok {
			deadline = d.UnixMilli()
		}
		w.Header().Set("Content-Type", "application/json")
		json.NewEncoder(w).Encode(map[string]any{
			"method":      r.Method,
			"path":        r.URL.Path,
			"rawQuery":    r.URL.RawQuery,
			"query":       r.URL.Query(),
			"host":        r.Host,
			"cookie":      r.Header.Get("Cookie"),
			"userAgent":   r.Header.Get("User-Agent"),
			"contentType": r.Header.Get("Content-Type"),
			"body":        base64.StdEncoding.EncodeToString(body),
			"clientIP":    platform.ClientIP(r),
			"requestID":   platform.RequestID(r.Context()),
			"deadlineMs":  deadline,
			"probeEnv":    os.Getenv("FACEGATE_PROBE_ENV"),
		})
	})
	mux.HandleFunc("GET /procs", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/plain")
		fmt.Fprint(w, runtime.GOMAXPROCS(0))
	})
	mux.HandleFunc("GET /image", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "image/png")
		w.Write(PNG)
	})
	mux.HandleFunc("GET /cookies", func(w http.ResponseWriter, r *http.Request) {
		// Expires dates contain a comma: joining these with commas would corrupt both.
		http.SetCookie(w, &http.Cookie{Name: "a", Value: "1", Path: "/", Expires: time.Date(2030, 1, 2, 3, 4, 5, 0, time.UTC)})
		http.SetCookie(w, &http.Cookie{Name: "b", Value: "2", Path: "/", Expires: time.Date(2031, 1, 2, 3, 4, 5, 0, time.UTC)})
		w.WriteHeader(http.StatusNoContent)
	})
	mux.HandleFunc("GET /panic", func(w http.ResponseWriter, r *http.Request) {
		panic("probe panic with secret AKIDprobe")
	})
	mux.HandleFunc("GET /big", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/plain")
		w.Write([]byte(strings.Repeat("x", 7<<20)))
	})
	return mux
}
