package http

import "net/http"

// The admin console (/admin): one server-rendered page whose script drives
// the same JSON admin API as any other client (same-origin, the admin's
// session cookie). The page itself holds no data; it only says which tabs
// this server has an API for.

// consoleTab is one tab of the console, shown when its API is registered.
type consoleTab struct {
	ID, Label string
}

type adminPageData struct {
	pageData
	Tabs []consoleTab
}

// consoleTabs lists the tabs whose APIs this server registers, in the
// order the console shows them.
func (s *Server) consoleTabs() []consoleTab {
	var tabs []consoleTab
	if s.deps.ForwardAdmin.Hosts != nil {
		tabs = append(tabs, consoleTab{"users", "Users"}, consoleTab{"hosts", "Hosts"})
	}
	if s.deps.Audit != nil {
		tabs = append(tabs, consoleTab{"audit", "Audit"})
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
	s.render(w, r, "admin.html", adminPageData{pageData: s.pageData(r, "Admin console"), Tabs: s.consoleTabs()})
}
