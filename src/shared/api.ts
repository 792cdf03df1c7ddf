/** Schemas shared by the server and the web app for every API call. */
import { z } from "zod";

export const ApiErrorBody = z.object({
  error: z.object({
    code: z.string(),
    message: z.string(),
    details: z
      .array(
        z.object({
          path: z.string().optional(),
          line: z.number().nullable().optional(),
          column: z.string().nullable().optional(),
          code: z.string().optional(),
          message: z.string(),
        }),
      )
      .optional(),
  }),
});
export type ApiErrorBody = z.infer<typeof ApiErrorBody>;

export const Role = z.enum(["admin", "analyst", "school-lead", "counselor", "homeroom", "subject", "peer"]);
export type Role = z.infer<typeof Role>;

/** Ids are random UUIDs made by the server. */
export const Id = z.string().min(1).max(64).regex(/^[A-Za-z0-9_-]+$/, "not an id");

export const Health = z.object({ status: z.enum(["ok", "unhealthy"]), database: z.enum(["pglite", "postgres"]), checks: z.record(z.string(), z.string()) });
