import { PrismaPg } from "@prisma/adapter-pg";
import { PrismaClient } from "../../generated/prisma/client.js";

export function createPrisma(url: string) {
  return new PrismaClient({ adapter: new PrismaPg({ connectionString: url }) });
}
export type Db = ReturnType<typeof createPrisma>;
export { Prisma } from "../../generated/prisma/client.js";
export * from "../../generated/prisma/enums.js";
