/**
 * The catalog module's public entry: the only file other modules (and the app) import.
 * Its Nest module, its service and the types of its contract (quotes and the stock part of
 * a one-statement placement), and the errors it throws, the reservation codes clients see
 * when placing orders included.
 */
export {
  CatalogErrorCode,
  CurrencyMismatchError,
  InsufficientStockError,
  ProductNotFoundError,
  SkuTakenError,
  UnknownProductsError,
} from './catalog.errors';
export { CatalogModule } from './catalog.module';
export {
  CatalogService,
  type Quote,
  type QuotedLine,
  type StockLine,
  type StockReservation,
} from './catalog.service';
