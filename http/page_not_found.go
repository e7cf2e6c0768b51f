package http

import (
	"io/fs"
	"net/http"
	"slices"
	"strings"
)

// notFoundOn answers what no route of mux takes: the branded page (Go's own
// is a line of plain text), problem JSON for a client that asked for JSON,
// and 405 with Allow for a path that exists under another method.
func (s *Server) notFoundOn(mux *http.ServeMux) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		if allow := allowedMethods(mux, r); len(allow) > 0 {
			w.Header().Set("Allow", strings.Join(allow, ", "))
			writeProblem(w, r, problemMethodNotAllowed, "This address does not take "+r.Method+" requests.")
			return
		}
		s.notFound(w, r)
	}
}

func (s *Server) notFound(w http.ResponseWriter, r *http.Request) {
	if strings.Contains(r.Header.Get("Accept"), "json") {
		writeProblem(w, r, problemNotFound, "There is nothing at this address.")
		return
	}
	s.renderStatus(w, r, http.StatusNotFound, "not_found.html", s.pageData(r, "Page not found"))
}

// allowedMethods lists the methods another route of mux takes r's path with.
func allowedMethods(mux *http.ServeMux, r *http.Request) []string {
	var allow []string
	for _, m := range []string{http.MethodGet, http.MethodPost, http.MethodPut, http.MethodPatch, http.MethodDelete} {
		if m == r.Method {
			continue
		}
		probe := r.Clone(r.Context())
		probe.Method = m
		if _, pattern := mux.Handler(probe); pattern != "" && pattern != "/" {
			allow = append(allow, m)
		}
	}
	if slices.Contains(allow, http.MethodGet) {
		allow = append(allow, http.MethodHead)
	}
	return allow
}

// staticFiles serves the embedded files and nothing else: a folder (or a
// name that is not a file) is the branded 404, never a listing of what the
// folder holds.
func (s *Server) staticFiles(static fs.FS) http.Handler {
	files := http.StripPrefix("/static/", http.FileServerFS(static))
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		name := strings.TrimPrefix(r.URL.Path, "/static/")
		if info, err := fs.Stat(static, name); err != nil || !info.Mode().IsRegular() {
			s.notFound(w, r)
			return
		}
		files.ServeHTTP(w, r)
	})
}
