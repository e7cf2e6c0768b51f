package http

// Rebuild returns a new server like s with change applied to a copy of its
// configuration and dependencies. The server in use is swapped for the new
// one when a saved configuration section changes what the pages offer (the
// sign-in providers, MFA): a server's routes and pages are fixed once built.
//
// So New must build the same server from the same Config and Deps: state
// that must outlive a swap (keys, caches, anything random) belongs in Deps,
// not in what New makes.
func (s *Server) Rebuild(change func(*Config, *Deps)) (*Server, error) {
	c, d := s.config, s.deps
	change(&c, &d)
	return New(c, d)
}
