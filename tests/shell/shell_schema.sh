# `schema`: the readable listing (members under their table, column names
# aligned), the raw rows with --json/--csv, and the Mermaid ER diagram
# (keys marked, one relationship per foreign key, optional when a foreign
# key column may be NULL, types made Mermaid words).
source tests/lib/check.sh
D=$(mktemp -d "$TESTTMP/schema.XXXX")
DEVDB=$ROOT/$B/devdb
cd "$D"
sqlite3 app.db "CREATE TABLE users(id INTEGER PRIMARY KEY, email VARCHAR(255) NOT NULL UNIQUE);
  CREATE TABLE posts(id INTEGER PRIMARY KEY, author INTEGER NOT NULL REFERENCES users(id),
                     editor INTEGER REFERENCES users(id), body);
  CREATE INDEX posts_author ON posts(author);
  CREATE VIEW v AS SELECT id FROM users;"

expect_eq schema-listing "table users
  id     INTEGER
  email  VARCHAR(255) NOT NULL
  PRIMARY KEY(id)
  UNIQUE(email)
table posts
  id      INTEGER
  author  INTEGER NOT NULL
  editor  INTEGER
  body
  PRIMARY KEY(id)
  FOREIGN KEY(author) REFERENCES users(id)
  FOREIGN KEY(editor) REFERENCES users(id)
  INDEX posts_author ON posts(author)
view v AS SELECT id FROM users" "$($DEVDB app.db schema | sed 's/ *$//')"

expect_eq schema-csv "kind,tbl,name,seq,def
table,users,users,,
column,users,id,0,INTEGER" "$($DEVDB app.db schema --csv | head -3)"

expect_eq schema-mermaid "erDiagram
  users {
    INTEGER id PK
    VARCHAR_255 email UK
  }
  posts {
    INTEGER id PK
    INTEGER author FK
    INTEGER editor FK
    ANY body
  }
  users ||--o{ posts : \"author\"
  users |o--o{ posts : \"editor\"" "$($DEVDB app.db schema --mermaid)"

out=$($DEVDB nosuch.db schema 2>&1); expect_status schema-missing-db 1 $?
expect_match schema-missing-db-message "no database at 'nosuch.db'" "$out"
