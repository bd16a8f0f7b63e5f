import type { Container } from '@azure/cosmos';
import type { Member } from '../../shared/domain/labelingRecords';
import type { MemberRepository } from '../../shared/ports/store';
import type { Ready } from './cosmosStore';
import { hasStatus, notFound } from './cosmosErrors';
import { byUtf8, fromMemberDocument, memberDocumentId, toMemberDocument } from './labelingDocuments';
import { pointRead } from './pointRead';
import { queryProjectRecords } from './projectRecords';

/**
 * Memberships as documents in their project's partition: point reads by id, except `listForUser`, the one
 * cross-partition query.
 */
export class CosmosMembers implements MemberRepository {
  readonly #container: Container;
  readonly #ready: Ready;

  constructor(container: Container, ready: Ready) {
    this.#container = container;
    this.#ready = ready;
  }

  async put(member: Member): Promise<void> {
    await this.#ready();
    await this.#container.items.upsert(toMemberDocument(member));
  }

  async delete(projectId: string, userId: string): Promise<boolean> {
    await this.#ready();
    try {
      await this.#container.item(memberDocumentId(userId), projectId).delete();
      return true;
    } catch (err) {
      if (hasStatus(err, notFound)) return false;
      throw err;
    }
  }

  async get(projectId: string, userId: string): Promise<Member | undefined> {
    await this.#ready();
    const read = await pointRead<Record<string, unknown>>(this.#container.item(memberDocumentId(userId), projectId));
    return read && fromMemberDocument(read.resource);
  }

  async list(projectId: string): Promise<Member[]> {
    await this.#ready();
    const members = (await queryProjectRecords(this.#container, projectId, 'member')).map(fromMemberDocument);
    return members.sort(byUtf8((m) => m.userId));
  }

  /**
   * The one cross-partition query: members live in their project's partition, so finding a user's projects fans out
   * over the physical partitions. It serves the project list of a labeler, not the per-request membership check
   * (`get`, a point read). The `/userId` index keeps each partition's part of it cheap.
   */
  async listForUser(userId: string): Promise<Member[]> {
    await this.#ready();
    const { resources } = await this.#container.items
      .query<Record<string, unknown>>({
        query: "SELECT * FROM c WHERE c.type = 'member' AND c.userId = @userId",
        parameters: [{ name: '@userId', value: userId }],
      })
      .fetchAll();
    return resources.map(fromMemberDocument).sort(byUtf8((m) => m.projectId));
  }
}
