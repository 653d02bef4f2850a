module gitlab.com/ledgerly/monorepo/services/api

go 1.24

require github.com/jackc/pgx/v5 v5.7.2
