package core

import (
	"fmt"
	"net/http"
)

// Route is one method and path of the HTTP API and the function that serves it.
type Route struct {
	Function string // "start", "callback" or "result"
	Method   string
	Path     string
}

// RouteTable lists every route of the API, in one place. OPTIONS routes are CORS
// preflights.
func RouteTable() []Route {
	return []Route{
		{"start", http.MethodGet, "/start"},
		{"start", http.MethodPost, "/start"},
		{"start", http.MethodOptions, "/start"},
		{"callback", http.MethodGet, "/callback"},
		{"result", http.MethodGet, "/result"},
		{"result", http.MethodDelete, "/result"},
		{"result", http.MethodOptions, "/result"},
	}
}

// Handler returns the handler of one function by name ("start", "callback", "result").
func (s *Service) Handler(function string) (http.Handler, error) {
	switch function {
	case "start":
		return s.StartHandler(), nil
	case "callback":
		return s.CallbackHandler(), nil
	case "result":
		return s.ResultHandler(), nil
	}
	return nil, fmt.Errorf("core: unknown function %q", function)
}

// Routes mounts every function on its path, for local runs and tests. Deployed
// functions get their own handler from Handler.
func (s *Service) Routes() http.Handler {
	mux := http.NewServeMux()
	seen := map[string]bool{}
	for _, rt := range RouteTable() {
		if seen[rt.Path] {
			continue
		}
		seen[rt.Path] = true
		h, err := s.Handler(rt.Function)
		if err != nil {
			panic(err) // the route table names only known functions
		}
		mux.Handle(rt.Path, h)
	}
	mux.Handle("/", secure(s.endpoint(wantsHTML, func(http.ResponseWriter, *http.Request) error {
		return errorf(CodeNotFound, "There is nothing at this address.")
	})))
	return mux
}

// methodsOf returns the non-OPTIONS methods the route table gives a function.
func methodsOf(function string) []string {
	var out []string
	for _, rt := range RouteTable() {
		if rt.Function == function && rt.Method != http.MethodOptions {
			out = append(out, rt.Method)
		}
	}
	return out
}
