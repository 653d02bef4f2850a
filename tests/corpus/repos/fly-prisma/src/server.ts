import Fastify from "fastify";
import { PrismaClient } from "@prisma/client";

const prisma = new PrismaClient();
const app = Fastify({ logger: true });

app.get("/healthz", async () => ({ ok: true }));
app.get("/accounts/:id/entries", async (req) => {
  const { id } = req.params as { id: string };
  return prisma.entry.findMany({ where: { accountId: id }, orderBy: { bookedAt: "desc" } });
});

app.listen({ port: Number(process.env.PORT ?? 8080), host: "0.0.0.0" });
