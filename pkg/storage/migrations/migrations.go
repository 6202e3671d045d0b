// Package migrations embeds the versioned SQL schema, one file set per dialect, kept in step by
// a test that compares the schemas they produce.
package migrations

import "embed"

// FS holds postgres/ and sqlite/.
//
//go:embed postgres/*.sql sqlite/*.sql
var FS embed.FS
