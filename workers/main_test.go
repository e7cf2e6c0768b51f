package workers

import (
	"testing"

	"github.com/authportal/authportal/eventstore/pgtest"
)

func TestMain(m *testing.M) { pgtest.Main(m) }
