/**
 * The lineage layer: the indexes maintained with each append (lineage edges, field and time
 * postings, the asset inventory), lineage graphs and their renderings, event queries, and
 * OpenLineage import. Specification: formats/lineage.md.
 */

export { assetKind, type EdgePair, lineageEdges, namedAssets } from "./edges.js";
export {
  type Direction,
  type LineageEdge,
  type LineageGraph,
  type LineageNode,
  type LineageOptions,
  lineage,
} from "./graph.js";
export {
  lineageIndexer,
  type ReindexOptions,
  type ReindexResult,
  reindex,
} from "./indexer.js";
export { type AssetRecord, assets } from "./inventory.js";
export { INDEX_FORMAT } from "./keys.js";
export {
  type AppendBatch,
  type ConvertedEvent,
  fromOpenLineage,
  type ImportReport,
  importOpenLineage,
  type OpenLineageProblem,
  parseOpenLineage,
} from "./openlineage.js";
export { type EntryProof, type LineageProofs, lineageProofs } from "./proofs.js";
export { lineageToProv } from "./prov.js";
export {
  type QueryHit,
  type QueryOptions,
  type QueryPage,
  query,
  queryCursor,
  queryStream,
} from "./query.js";
export { lineageToDot, lineageToJSON, lineageToTree } from "./render.js";
export { type IndexStatus, indexStatus } from "./status.js";
export { parseTime } from "./time.js";
