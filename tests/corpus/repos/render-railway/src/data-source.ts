import "reflect-metadata";
import { DataSource } from "typeorm";

export default new DataSource({
  type: "postgres",
  url: process.env.DATABASE_URL,
  entities: [__dirname + "/**/*.entity.{js,ts}"],
  migrations: [__dirname + "/migrations/*.{js,ts}"],
  migrationsTableName: "typeorm_migrations",
  synchronize: false,
});
