import { ConflictError, NotFoundError, UnprocessableError, defineErrorCodes } from '@app/core';

export const CatalogErrorCode = defineErrorCodes({
  PRODUCT_NOT_FOUND: { status: 404 },
  PRODUCT_SKU_TAKEN: { status: 409 },
  // Reservation failures: raised here, seen by clients placing orders.
  ORDER_UNKNOWN_PRODUCT: { status: 422 },
  ORDER_INSUFFICIENT_STOCK: { status: 409 },
  ORDER_CURRENCY_MISMATCH: { status: 422 },
});

export class ProductNotFoundError extends NotFoundError {
  readonly code = CatalogErrorCode.PRODUCT_NOT_FOUND;
  constructor(id: string) {
    super(`Product ${id} not found`);
  }
}

export class SkuTakenError extends ConflictError {
  readonly code = CatalogErrorCode.PRODUCT_SKU_TAKEN;
  constructor(sku: string) {
    super(`A product with SKU ${sku} already exists`);
  }
}

/** A request that names products that do not exist (422: well-formed, but unresolvable). */
export class UnknownProductsError extends UnprocessableError {
  readonly code = CatalogErrorCode.ORDER_UNKNOWN_PRODUCT;
  constructor(readonly productIds: readonly string[]) {
    super(`Unknown product${productIds.length === 1 ? '' : 's'}: ${productIds.join(', ')}`);
  }
}

export class InsufficientStockError extends ConflictError {
  readonly code = CatalogErrorCode.ORDER_INSUFFICIENT_STOCK;
  constructor(productId: string, sku: string, requested: number, available: number) {
    super(
      `Insufficient stock for product ${productId} (${sku}): requested ${requested}, available ${available}`,
    );
  }
}

export class CurrencyMismatchError extends UnprocessableError {
  readonly code = CatalogErrorCode.ORDER_CURRENCY_MISMATCH;
  constructor(currencies: readonly string[]) {
    super(`One order cannot mix currencies (${currencies.join(', ')})`);
  }
}
