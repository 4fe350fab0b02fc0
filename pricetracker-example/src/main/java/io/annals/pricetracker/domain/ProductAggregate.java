package io.annals.pricetracker.domain;

import io.annals.eventstore.Aggregate;
import io.annals.eventstore.CommandRejectedException;
import io.annals.pricetracker.domain.ProductCommand.CreateProduct;
import io.annals.pricetracker.domain.ProductCommand.DeleteProduct;
import io.annals.pricetracker.domain.ProductCommand.UpdateProduct;
import io.annals.pricetracker.domain.ProductEvent.PriceChanged;
import io.annals.pricetracker.domain.ProductEvent.ProductCreated;
import io.annals.pricetracker.domain.ProductEvent.ProductDeleted;
import java.math.BigDecimal;
import java.util.List;
import java.util.Objects;

/**
 * The product-price domain of the article, as two pure functions.
 *
 * <p>Rules, with the {@link CommandRejectedException#code() code} of the rejection:
 * <table>
 *   <caption>Rejections</caption>
 *   <tr><th>command</th><th>rejected when</th><th>code</th></tr>
 *   <tr><td>{@link CreateProduct}</td><td>the id was already created (even if deleted since)</td>
 *       <td>{@value #ALREADY_EXISTS}</td></tr>
 *   <tr><td>{@link UpdateProduct}, {@link DeleteProduct}</td><td>the product was never created</td>
 *       <td>{@value #NOT_FOUND}</td></tr>
 *   <tr><td>{@link UpdateProduct}, {@link DeleteProduct}</td><td>the product is deleted</td>
 *       <td>{@value #DELETED}</td></tr>
 *   <tr><td>{@link UpdateProduct}</td><td>the new price would be zero or negative</td>
 *       <td>{@value #PRICE_NOT_POSITIVE}</td></tr>
 * </table>
 * An update with a zero variation is accepted and changes nothing: {@code decide} returns no
 * event.
 *
 * <p>Money is {@link BigDecimal}, compared with {@code compareTo}/{@code signum} (never
 * {@code equals}, which also compares the scale, and never {@code double}).
 */
public final class ProductAggregate implements Aggregate<Product, ProductCommand, ProductEvent> {

    /** The stream category: a product's stream is {@code product-<productId>}. */
    public static final String CATEGORY = "product";

    /** Rejection code: the product id was already created. */
    public static final String ALREADY_EXISTS = "already_exists";

    /** Rejection code: the product was never created. */
    public static final String NOT_FOUND = "not_found";

    /** Rejection code: the product is deleted. */
    public static final String DELETED = "deleted";

    /** Rejection code: the price would not stay positive. */
    public static final String PRICE_NOT_POSITIVE = "price_not_positive";

    /** The aggregate; it holds no state, so one instance serves everything. */
    public ProductAggregate() {}

    /** {@value #CATEGORY}. */
    @Override
    public String category() {
        return CATEGORY;
    }

    /** {@link Product#NONE}: a product that was never created. */
    @Override
    public Product initialState() {
        return Product.NONE;
    }

    /**
     * Decides a command on a product.
     *
     * @return the new events; empty for a zero price variation
     * @throws CommandRejectedException with one of the codes in the class description
     * @throws IllegalArgumentException if {@code state} is another product than the command's
     * @throws NullPointerException if an argument is null
     */
    @Override
    public List<ProductEvent> decide(Product state, ProductCommand command) {
        Objects.requireNonNull(state, "state");
        Objects.requireNonNull(command, "command");
        if (state.exists() && !state.productId().equals(command.productId())) {
            throw new IllegalArgumentException("command for product " + command.productId()
                    + " decided on the state of product " + state.productId());
        }
        // Java 17 has no pattern matching in switch; the interface is sealed, so these three
        // tests are exhaustive.
        if (command instanceof CreateProduct create) {
            return create(state, create);
        }
        if (command instanceof UpdateProduct update) {
            return update(state, update);
        }
        if (command instanceof DeleteProduct delete) {
            return delete(state, delete);
        }
        throw new IllegalArgumentException(
                "unknown command " + command.getClass().getName());
    }

    private static List<ProductEvent> create(Product state, CreateProduct c) {
        if (state.exists()) {
            throw new CommandRejectedException(
                    ALREADY_EXISTS,
                    "product " + c.productId()
                            + (state.active()
                                    ? " already exists"
                                    : " was deleted; a product id is never created twice"));
        }
        return List.of(new ProductCreated(c.productId(), c.name(), c.price(), c.currency()));
    }

    private static List<ProductEvent> update(Product state, UpdateProduct c) {
        requireActive(state, c.productId());
        if (c.variation().signum() == 0) {
            return List.of();
        }
        BigDecimal newPrice = state.price().add(c.variation());
        if (newPrice.signum() <= 0) {
            String why = "the price of product " + c.productId() + " must stay positive: current price "
                    + state.price().toPlainString() + ", variation "
                    + c.variation().toPlainString()
                    + " would make it " + newPrice.toPlainString();
            throw new CommandRejectedException(PRICE_NOT_POSITIVE, why);
        }
        return List.of(new PriceChanged(c.productId(), state.price(), newPrice, c.variation(), state.currency()));
    }

    private static List<ProductEvent> delete(Product state, DeleteProduct c) {
        requireActive(state, c.productId());
        return List.of(new ProductDeleted(c.productId(), state.name()));
    }

    private static void requireActive(Product state, String productId) {
        if (!state.exists()) {
            throw new CommandRejectedException(NOT_FOUND, "product " + productId + " does not exist");
        }
        if (!state.active()) {
            throw new CommandRejectedException(DELETED, "product " + productId + " is deleted");
        }
    }

    /**
     * Applies one event to a product.
     *
     * @throws IllegalStateException if the history is impossible ({@code decide} never produces
     *     it): a product created twice, or changed or deleted before it was created
     * @throws NullPointerException if an argument is null
     */
    @Override
    public Product evolve(Product state, ProductEvent event) {
        Objects.requireNonNull(state, "state");
        Objects.requireNonNull(event, "event");
        if (event instanceof ProductCreated created) {
            if (state.exists()) {
                throw impossible(event, "was already created");
            }
            return new Product(
                    created.productId(), created.name(), created.price(), created.currency(), Product.Status.ACTIVE);
        }
        if (!state.exists()) {
            throw impossible(event, "was never created");
        }
        if (event instanceof PriceChanged changed) {
            return state.withPrice(changed.newPrice());
        }
        if (event instanceof ProductDeleted) {
            return state.deleted();
        }
        throw new IllegalArgumentException("unknown event " + event.getClass().getName());
    }

    // A loud failure rather than a guess: a state folded from a history decide could not have
    // written (a hand-edited or mixed-up stream) would only give wrong answers later.
    private static IllegalStateException impossible(ProductEvent event, String what) {
        return new IllegalStateException("cannot apply " + event + ": product " + event.productId() + " " + what);
    }
}
