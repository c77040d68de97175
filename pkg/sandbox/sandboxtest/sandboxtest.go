// Package sandboxtest runs a sandbox on loopback for tests and local tools: the API and the
// hosted page each on their own httptest server, as Tencent's API host and page host are
// separate origins.
package sandboxtest

import (
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/facegate/facegate/pkg/sandbox"
)

// Server is a running sandbox. Close (registered with tb.Cleanup by New) stops both servers.
type Server struct {
	*sandbox.Sandbox
	API  *httptest.Server // the faceid API and the /_sandbox/ control API
	Page *httptest.Server // the hosted page, upload target and media links
}

// New starts a sandbox with opts for the test tb, which closes it at its end.
// opts.PageURL is set to the page server's URL.
func New(tb testing.TB, opts sandbox.Options) *Server {
	tb.Helper()
	s := Start(opts)
	tb.Cleanup(s.Close)
	return s
}

// Start is New for a program (cmd/emulate) that has no test to tie the servers to: the
// caller closes them.
func Start(opts sandbox.Options) *Server {
	// The page origin must be known before the sandbox is built (it is part of every
	// VerificationURL), so the page server's listener is opened first.
	page := httptest.NewUnstartedServer(nil)
	opts.PageURL = "http://" + page.Listener.Addr().String()
	sb := sandbox.New(opts)
	page.Config.Handler = sb.PageHandler()
	page.Start()
	api := httptest.NewServer(sb.APIHandler())
	return &Server{Sandbox: sb, API: api, Page: page}
}

// Endpoint is the API's host:port, the value for the SDK's HttpProfile.Endpoint (with
// Scheme "http").
func (s *Server) Endpoint() string {
	return strings.TrimPrefix(s.API.URL, "http://")
}

// Close stops both servers.
func (s *Server) Close() {
	s.API.Close()
	s.Page.Close()
}
