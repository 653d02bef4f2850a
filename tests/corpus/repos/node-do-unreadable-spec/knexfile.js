module.exports = {
  development: { client: "pg", connection: "postgres://notes:notes@localhost:5432/notes" },
  production: {
    client: "pg",
    connection: { connectionString: process.env.DATABASE_URL, ssl: { rejectUnauthorized: false } },
    pool: { min: 0, max: 5 },
    migrations: { tableName: "knex_migrations" },
  },
};
