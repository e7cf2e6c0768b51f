package http

import "net/http"

// The admin console (/admin): one server-rendered page whose script drives
// the same JSON admin API as any other client (same-origin, the admin's
// session cookie). The page itself holds no data; it only says which tabs
// this server has an API for.

// consoleTab is one tab of the console. Section is the configuration
// section a section editor edits ("" for the other tabs).
type consoleTab struct {
	ID, Label, Section string
}

type adminPageData struct {
	pageData
	Tabs     []consoleTab
	SMTPTest bool // the SMTP tab offers a test mail
}

// consoleTabs lists, in the order the console shows them, the tabs whose
// API this server registers: a capability that is not configured (or not
// built) has no tab, rather than one that fails when used.
func (s *Server) consoleTabs() []consoleTab {
	paths := s.api.OpenAPI().Paths
	var tabs []consoleTab
	for _, t := range []struct {
		tab  consoleTab
		path string
	}{
		{consoleTab{ID: "users", Label: "Users"}, "/api/admin/users/{id}/sessions"},
		{consoleTab{ID: "hosts", Label: "Hosts"}, "/api/admin/hosts"},
		{consoleTab{ID: "providers", Label: "Providers", Section: "providers"}, "/api/admin/config/{section}"},
		{consoleTab{ID: "security", Label: "Security", Section: "security"}, "/api/admin/config/{section}"},
		{consoleTab{ID: "mfa", Label: "MFA", Section: "mfa"}, "/api/admin/config/{section}"},
		{consoleTab{ID: "smtp", Label: "SMTP", Section: "smtp"}, "/api/admin/config/{section}"},
		{consoleTab{ID: "history", Label: "History"}, "/api/admin/config/history/{section}/diff"},
		{consoleTab{ID: "backups", Label: "Backups"}, "/api/admin/backups/{name}/restore"},
		{consoleTab{ID: "clients", Label: "OAuth clients"}, "/api/admin/oauth/clients/{id}/rotate-secret"},
		{consoleTab{ID: "invites", Label: "Invites"}, "/api/admin/invites/{id}/resend"},
		{consoleTab{ID: "audit", Label: "Audit"}, "/api/admin/audit"},
	} {
		if paths[t.path] != nil {
			tabs = append(tabs, t.tab)
		}
	}
	return tabs
}

// adminPage sends a visitor without a session to sign in (and back here),
// and answers anyone who is not an admin now (read from the access model,
// as the API decides) with a 403 page.
func (s *Server) adminPage(w http.ResponseWriter, r *http.Request) {
	p := principal(r.Context())
	if p == nil {
		http.Redirect(w, r, "/?next=/admin", http.StatusSeeOther)
		return
	}
	if !p.User.Admin || p.User.Disabled {
		s.renderStatus(w, r, http.StatusForbidden, "admin_forbidden.html", s.pageData(r, "Admins only"))
		return
	}
	s.render(w, r, "admin.html", adminPageData{pageData: s.pageData(r, "Admin console"), Tabs: s.consoleTabs(),
		SMTPTest: s.api.OpenAPI().Paths["/api/admin/config/smtp/test"] != nil})
}
