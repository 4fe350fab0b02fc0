package io.annals.pricetracker.domain;

import io.annals.eventstore.CommandRejectedException;
import io.annals.eventstore.ExpectedVersion;
import io.annals.eventstore.Query;
import io.annals.eventstore.QueryItem;
import io.annals.eventstore.decision.DecidedEvent;
import io.annals.eventstore.decision.Decision;
import io.annals.eventstore.decision.DecisionModel;
import io.annals.pricetracker.domain.ProductCommand.CreateProduct;
import io.annals.pricetracker.domain.ProductEvent.ProductCreated;
import io.annals.pricetracker.domain.ProductEvent.ProductDeleted;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;

/**
 * Creating a product: a decision across streams, since its rules reach past the product's own
 * stream. A product id is created once, even after a delete (as {@link ProductAggregate} says);
 * and a product's name is used by no other product that is not deleted, compared after
 * {@link ProductTags#normalise normalising}. Two facts, each folded from the events tagged with
 * it: whether the id was used ({@code product:<id>}) and which products hold the name
 * ({@code name:<name>}). The product is appended to its new stream on the condition that neither
 * fact changed meanwhile.
 *
 * <table>
 *   <caption>Rejections</caption>
 *   <tr><th>rejected when</th><th>code</th></tr>
 *   <tr><td>the id was already created (even if deleted since)</td>
 *       <td>{@value ProductAggregate#ALREADY_EXISTS}</td></tr>
 *   <tr><td>another product that is not deleted has the name</td><td>{@value #NAME_TAKEN}</td></tr>
 * </table>
 */
public final class ProductCreation {

    /** Rejection code: another product that is not deleted has the name. */
    public static final String NAME_TAKEN = "name-taken";

    /** The decision: whether the id is free, which products hold the name, then the new product. */
    public static final Decision<CreateProduct, ProductEvent> DECISION =
            Decision.of(c -> idUse(c.productId()), c -> nameHolders(c.name()), ProductCreation::decide);

    private ProductCreation() {}

    /**
     * Whether the product id was used: {@code NONE}, {@code ACTIVE} or {@code DELETED}, from every
     * event of the product. Any of them says the id was created, so a history that reaches back
     * past the product's first tagged event still counts.
     */
    public static DecisionModel<Product.Status, ProductEvent> idUse(String productId) {
        return DecisionModel.of(
                Query.of(QueryItem.tags(ProductTags.product(productId))),
                Product.Status.NONE,
                (status, e) -> e instanceof ProductDeleted
                        ? Product.Status.DELETED
                        : status == Product.Status.NONE ? Product.Status.ACTIVE : status);
    }

    /** The ids of the products that hold the name and are not deleted, in order. */
    public static DecisionModel<Set<String>, ProductEvent> nameHolders(String name) {
        return DecisionModel.of(Query.of(QueryItem.tags(ProductTags.name(name))), Set.of(), (holders, e) -> {
            Set<String> next = new TreeSet<>(holders);
            if (e instanceof ProductCreated) {
                next.add(e.productId());
            } else if (e instanceof ProductDeleted) {
                next.remove(e.productId());
            }
            return next;
        });
    }

    /**
     * Creates the product if its id was never used and no other product holds its name.
     *
     * @throws CommandRejectedException with one of the codes in the class description
     */
    public static List<DecidedEvent<ProductCreated>> decide(
            Product.Status idUse, Set<String> nameHolders, CreateProduct c) {
        if (idUse != Product.Status.NONE) {
            throw new CommandRejectedException(
                    ProductAggregate.ALREADY_EXISTS,
                    "product " + c.productId()
                            + (idUse == Product.Status.ACTIVE
                                    ? " already exists"
                                    : " was deleted; a product id is never created twice"));
        }
        if (!nameHolders.isEmpty()) {
            throw new CommandRejectedException(
                    NAME_TAKEN,
                    "the name '" + c.name().strip() + "' is taken by product "
                            + nameHolders.iterator().next());
        }
        return List.of(DecidedEvent.to(
                        ProductAggregate.CATEGORY + "-" + c.productId(),
                        new ProductCreated(c.productId(), c.name(), c.price(), c.currency()))
                .expecting(ExpectedVersion.noStream()));
    }
}
