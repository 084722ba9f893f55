// Retention for finished sales: archive to a file, then out of the ledger.
export { RetentionSweeper, type RetentionOptions } from './retention-sweeper';
export { archiveFileName, writeSaleArchive, type SaleArchive } from './sale-archive';
