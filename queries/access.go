package queries

import "github.com/authportal/authportal/projections"

// Access is the in-memory model of who may do what, kept by every node
// (see projections.Access). The web layer reads it through this package,
// like every other read.
type Access = projections.Access

// AccessUser is what the access model knows of a user.
type AccessUser = projections.AccessUser

// ErrModelBehind is returned by Access.WaitFor when the model did not reach
// the position in time.
var ErrModelBehind = projections.ErrModelBehind
