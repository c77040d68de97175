package faceid_test

import (
	"context"
	"crypto/md5"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/facegate/facegate/pkg/faceid"
)

// putTarget stands for a presigned COS URL: it checks Content-MD5 against the body as
// COS does and keeps what it stored.
func putTarget(t *testing.T, status int) (*httptest.Server, *[]http.Header, *[][]byte) {
	t.Helper()
	var headers []http.Header
	var bodies [][]byte
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodPut {
			http.Error(w, "method", http.StatusMethodNotAllowed)
			return
		}
		body, _ := io.ReadAll(r.Body)
		sum := md5.Sum(body)
		if r.Header.Get("Content-MD5") != base64.StdEncoding.EncodeToString(sum[:]) {
			http.Error(w, "BadDigest", http.StatusBadRequest)
			return
		}
		headers = append(headers, r.Header.Clone())
		bodies = append(bodies, body)
		w.WriteHeader(status)
	}))
	t.Cleanup(srv.Close)
	return srv, &headers, &bodies
}

func TestUpload(t *testing.T) {
	srv, headers, bodies := putTarget(t, http.StatusOK)
	c, err := faceid.New(faceid.Config{Credentials: faceid.StaticCredentials(testID, testKey, "")})
	if err != nil {
		t.Fatal(err)
	}
	for _, tt := range []struct {
		image []byte
		ctype string
	}{{jpegBytes, "image/jpeg"}, {pngBytes, "image/png"}, {bmpBytes, "image/bmp"}} {
		got, err := c.Upload(context.Background(), srv.URL+"/compare/x.jpg?q-signature=abc", tt.image)
		if err != nil {
			t.Fatal(err)
		}
		sum := md5.Sum(tt.image)
		if got != hex.EncodeToString(sum[:]) || len(got) != 32 || strings.ToLower(got) != got {
			t.Errorf("md5 %q", got)
		}
		h := (*headers)[len(*headers)-1]
		if h.Get("Content-Type") != tt.ctype {
			t.Errorf("Content-Type %q, want %q", h.Get("Content-Type"), tt.ctype)
		}
		if b := (*bodies)[len(*bodies)-1]; string(b) != string(tt.image) {
			t.Error("stored body differs")
		}
	}
}

func TestUploadRefused(t *testing.T) {
	for _, tt := range []struct {
		status int
		kind   faceid.Kind
	}{{403, faceid.KindBadParameter}, {400, faceid.KindBadParameter}, {500, faceid.KindUnavailable}, {503, faceid.KindUnavailable}} {
		srv, _, _ := putTarget(t, tt.status)
		c, _ := faceid.New(faceid.Config{Credentials: faceid.StaticCredentials(testID, testKey, "")})
		_, err := c.Upload(context.Background(), srv.URL+"/o.jpg?q-signature=SIGNATURE-SECRET", jpegBytes)
		var fe *faceid.Error
		if !errors.As(err, &fe) || fe.Kind != tt.kind {
			t.Errorf("HTTP %d: %v, want %s", tt.status, err, tt.kind)
			continue
		}
		if strings.Contains(err.Error(), "SIGNATURE-SECRET") {
			t.Errorf("HTTP %d: error quotes the presigned URL: %v", tt.status, err)
		}
	}
	// A transport failure does not quote the URL either.
	srv, _, _ := putTarget(t, 200)
	srv.Close()
	c, _ := faceid.New(faceid.Config{Credentials: faceid.StaticCredentials(testID, testKey, "")})
	_, err := c.Upload(context.Background(), srv.URL+"/o.jpg?q-signature=SIGNATURE-SECRET", jpegBytes)
	var fe *faceid.Error
	if !errors.As(err, &fe) || fe.Kind != faceid.KindUnavailable || strings.Contains(err.Error(), "SIGNATURE-SECRET") {
		t.Fatalf("closed target: %v", err)
	}
}
