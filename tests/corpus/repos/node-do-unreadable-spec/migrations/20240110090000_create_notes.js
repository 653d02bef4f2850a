exports.up = (knex) =>
  knex.schema.createTable("notes", (t) => {
    t.increments("id");
    t.text("body").notNullable();
    t.timestamps(true, true);
  });

exports.down = (knex) => knex.schema.dropTable("notes");
