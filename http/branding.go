package http

import (
	"html/template"
	"net/http"
	"os"
	"path/filepath"
)

// Branding is what an operator puts in DATA_DIR/branding to make the portal
// theirs, each file optional and read when a page is served (no restart):
//
//	logo.svg or logo.png      shown above every page's title
//	theme.css                 loaded after the built-in styles: colours, a background image
//	background.jpg|png|webp   served for theme.css to use (url(/branding/background.jpg))
//	home-authorized.html      shown on the home page of users with access
//	home-unauthorized.html    shown on the home page of users without
//
// The home fragments are HTML from the operator's own disk, trusted as the
// templates are; the page's Content-Security-Policy still allows no script
// but the portal's own.
type branding struct {
	dir string // "" when not configured
}

// brandingFiles are the only names /branding/ serves: nothing else in the
// folder is reachable, and nothing is listed.
var brandingFiles = map[string]string{
	"logo.svg": "image/svg+xml", "logo.png": "image/png", "theme.css": "text/css; charset=utf-8",
	"background.jpg": "image/jpeg", "background.png": "image/png", "background.webp": "image/webp",
}

func (b branding) has(name string) bool {
	if b.dir == "" {
		return false
	}
	info, err := os.Stat(filepath.Join(b.dir, name))
	return err == nil && info.Mode().IsRegular()
}

// logo is the path of the operator's logo, "" for none.
func (b branding) logo() string {
	for _, name := range []string{"logo.svg", "logo.png"} {
		if b.has(name) {
			return "/branding/" + name
		}
	}
	return ""
}

// fragment is one of the home page fragments, empty when there is none.
func (b branding) fragment(name string) template.HTML {
	if b.dir == "" {
		return ""
	}
	raw, err := os.ReadFile(filepath.Join(b.dir, name))
	if err != nil || len(raw) > 64<<10 {
		return ""
	}
	return template.HTML(raw) // the operator's own file, trusted like a template
}

// serveBranding serves the allowed branding files.
func (s *Server) serveBranding(w http.ResponseWriter, r *http.Request) {
	name := r.PathValue("file")
	contentType, ok := brandingFiles[name]
	if !ok || !s.branding.has(name) {
		s.notFound(w, r)
		return
	}
	w.Header().Set("Content-Type", contentType)
	w.Header().Set("Cache-Control", "public, max-age=300")
	http.ServeFile(w, r, filepath.Join(s.branding.dir, name))
}
