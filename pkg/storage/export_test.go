package storage

// Chunk is how many rows one multi-row statement of db takes: the contract tests write one row
// more, so that every chunk loop runs twice.
func Chunk(db *DB) int { return db.chunk() }
