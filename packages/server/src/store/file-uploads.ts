import { randomBytes } from 'node:crypto';
import { isoNow } from '@verdict/core';
import type { Kysely } from 'kysely';
import type { UploadRecords } from '../files/index.js';
import { insertFile } from './files.js';
import type { Database } from './schema.js';

/** Upload reservations (`file_uploads`); a completed one becomes a `files` row under the same id. */
export function uploadRecords(db: Kysely<Database>): UploadRecords {
  return {
    async insert(reservation) {
      await db.insertInto('file_uploads').values(reservation).execute();
    },
    find: (id) => db.selectFrom('file_uploads').selectAll().where('id', '=', id).executeTakeFirst(),
    async pending(organizationId, nowIso) {
      const row = await db
        .selectFrom('file_uploads')
        .select((eb) => [eb.fn.countAll<string | number>().as('count'), eb.fn.min('expires_at').as('earliest')])
        .where('organization_id', '=', organizationId)
        .where('expires_at', '>', nowIso)
        .executeTakeFirstOrThrow();
      return { count: Number(row.count), earliestExpiry: row.earliest ?? null };
    },
    async deleteExpiredBefore(organizationId, beforeIso) {
      await db.deleteFrom('file_uploads').where('organization_id', '=', organizationId).where('expires_at', '<=', beforeIso).execute();
    },
    async markReceived(id, sha256, nowIso) {
      const updated = await db
        .updateTable('file_uploads').set({ received_sha256: sha256 })
        .where('id', '=', id)
        .where('expires_at', '>', nowIso)
        .where((eb) => eb.or([eb('received_sha256', 'is', null), eb('received_sha256', '=', sha256)]))
        .executeTakeFirst();
      return Number(updated.numUpdatedRows) === 1;
    },
    complete: (reservation, file) =>
      db.transaction().execute(async (trx) => {
        // Only the call that ends the reservation records the file; a concurrent one finds it gone.
        const ended = await trx.deleteFrom('file_uploads').where('id', '=', reservation.id).where('received_sha256', '=', file.sha256).executeTakeFirst();
        if (Number(ended.numDeletedRows) !== 1) return null;
        return insertFile(trx, reservation.organization_id, reservation.id, file);
      }),
    findFileBySignedId: (id) => db.selectFrom('files').select(['id', 'filename', 'mime_type', 'size_bytes', 'sha256']).where('id', '=', id).executeTakeFirst(),
  };
}

const FILE_URL_KEY = 'files';

/** The secret that signs file URLs: made by the first process that needs it, then read by every process of the deployment. */
export async function fileUrlSecret(db: Kysely<Database>): Promise<Buffer> {
  const existing = await db.selectFrom('url_signing_keys').select('secret').where('id', '=', FILE_URL_KEY).executeTakeFirst();
  if (existing) return Buffer.from(existing.secret, 'base64');
  await db
    .insertInto('url_signing_keys')
    .values({ id: FILE_URL_KEY, secret: randomBytes(32).toString('base64'), created_at: isoNow() })
    .onConflict((conflict) => conflict.column('id').doNothing())
    .execute();
  const stored = await db.selectFrom('url_signing_keys').select('secret').where('id', '=', FILE_URL_KEY).executeTakeFirstOrThrow();
  return Buffer.from(stored.secret, 'base64');
}
