import {
  Column,
  DataSource,
  Entity,
  JoinColumn,
  ManyToOne,
  OneToMany,
  PrimaryGeneratedColumn,
  type ValueTransformer,
} from 'typeorm';

import { EntityRows } from './entity-rows';

const cents: ValueTransformer = {
  to: (value: number) => value,
  from: (value: string | null) => (value === null ? null : Number(value)),
};

@Entity('spec_parents')
class Parent {
  @PrimaryGeneratedColumn('uuid')
  id!: string;

  @OneToMany(() => Child, (child) => child.parent)
  children!: Child[];
}

@Entity('spec_children')
class Child {
  @PrimaryGeneratedColumn('uuid')
  id!: string;

  @Column({ name: 'parent_id', type: 'uuid' })
  parentId!: string;

  @ManyToOne(() => Parent, (parent) => parent.children)
  @JoinColumn({ name: 'parent_id' })
  parent!: Parent;

  @Column({ name: 'total_cents', type: 'bigint', transformer: cents })
  totalCents!: number;

  @Column({ name: 'odd"name', type: 'integer' })
  odd!: number;
}

@Entity('spec_accounts')
class Account {
  @PrimaryGeneratedColumn('uuid')
  id!: string;

  @Column({ name: 'password_hash', type: 'varchar', select: false })
  passwordHash!: string;
}

describe('EntityRows', () => {
  let dataSource: DataSource;
  let rows: EntityRows<Child>;

  beforeAll(async () => {
    // Metadata only: nothing connects.
    dataSource = new DataSource({ type: 'postgres', entities: [Parent, Child, Account] });
    await dataSource['buildMetadatas']();
    rows = new EntityRows(dataSource.getMetadata(Child), 'c');
  });

  it('refuses an entity with a column it would not treat as TypeORM does', () => {
    expect(() => new EntityRows(dataSource.getMetadata(Account), 'a')).toThrow(
      /Account\.passwordHash is `select: false`/,
    );
  });

  it('selects every column of the entity under its property name, quoted', () => {
    expect(rows.table).toBe('"spec_children"');
    expect(rows.columns).toBe(
      [
        '"c"."id" AS "id"',
        '"c"."parent_id" AS "parentId"',
        '"c"."total_cents" AS "totalCents"',
        '"c"."odd""name" AS "odd"',
      ].join(', '),
    );
  });

  it('hydrates through the column transformers and leaves other values as pg parsed them', () => {
    const child = rows.hydrate({ id: 'a', parentId: 'b', totalCents: '9007199254740991', odd: 3 });
    expect(child).toEqual({ id: 'a', parentId: 'b', totalCents: 9007199254740991, odd: 3 });
    expect(
      rows.hydrate({ id: 'a', parentId: 'b', totalCents: null, odd: 3 }).totalCents,
    ).toBeNull();
  });
});
