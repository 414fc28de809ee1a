module github.com/pglocks/pglocks/clients/go/v2

go 1.19
