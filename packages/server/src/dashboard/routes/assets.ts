import type { FastifyInstance } from 'fastify';
import { createError } from '../../errors/index.js';
import { findAsset } from '../assets.js';

export async function assetRoutes(app: FastifyInstance): Promise<void> {
  app.get<{ Params: { name: string }; Querystring: { v?: string } }>('/assets/:name', async (request, reply) => {
    const asset = findAsset(request.params.name);
    if (!asset) throw createError('not_found', `No dashboard asset \`${request.params.name}\`.`);
    // Asset URLs carry a content hash, so a versioned URL never changes meaning.
    const cache = request.query.v === asset.version ? 'public, max-age=31536000, immutable' : 'no-cache';
    return reply.header('cache-control', cache).header('etag', `"${asset.version}"`).type(asset.contentType).send(asset.body);
  });
}
