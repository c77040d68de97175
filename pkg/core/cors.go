package core

import (
	"net/http"
	"slices"
	"strings"
)

// cors applies the CORS policy for one endpoint: only configured origins get CORS headers,
// and preflights are answered here (204) without reaching the endpoint.
func (s *Service) cors(methods []string, next http.Handler) http.Handler {
	allowMethods := strings.Join(append(slices.Clone(methods), http.MethodOptions), ", ")
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		origin := r.Header.Get("Origin")
		allowed := origin != "" && slices.Contains(s.cfg.CORSOrigins, origin)
		if origin != "" {
			w.Header().Add("Vary", "Origin")
		}
		if allowed {
			w.Header().Set("Access-Control-Allow-Origin", origin)
			w.Header().Set("Access-Control-Allow-Credentials", "true")
		}
		if r.Method != http.MethodOptions {
			next.ServeHTTP(w, r)
			return
		}
		reqMethod := r.Header.Get("Access-Control-Request-Method")
		if allowed && slices.Contains(methods, reqMethod) {
			w.Header().Set("Access-Control-Allow-Methods", allowMethods)
			w.Header().Set("Access-Control-Allow-Headers", "Authorization, Content-Type")
			w.Header().Set("Access-Control-Max-Age", "600")
		}
		// A refused preflight gets no CORS headers, so the browser blocks the real request.
		w.Header().Set("Allow", allowMethods)
		w.WriteHeader(http.StatusNoContent)
	})
}
