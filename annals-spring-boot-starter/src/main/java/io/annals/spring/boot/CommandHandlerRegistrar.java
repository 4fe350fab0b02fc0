package io.annals.spring.boot;

import io.annals.eventstore.Aggregate;
import io.annals.eventstore.Command;
import io.annals.eventstore.Event;
import io.annals.eventstore.EventCodec;
import io.annals.eventstore.EventStore;
import io.annals.eventstore.command.CommandHandler;
import java.util.Arrays;
import org.springframework.beans.factory.config.BeanDefinition;
import org.springframework.beans.factory.config.ConfigurableListableBeanFactory;
import org.springframework.beans.factory.support.BeanDefinitionRegistry;
import org.springframework.beans.factory.support.BeanDefinitionRegistryPostProcessor;
import org.springframework.beans.factory.support.RootBeanDefinition;
import org.springframework.core.ResolvableType;

/**
 * Registers a {@code CommandHandler<S, C, E>} bean, named after the aggregate's bean with
 * {@code CommandHandler} added, for every {@code Aggregate<S, C, E>} bean that has no handler of
 * that type yet, so that the application injects handlers by their type. The handler is built,
 * when first needed, on the context's {@link EventStore} and its {@code EventCodec<E>} bean.
 *
 * <p>It works on bean definitions, before any bean exists: that is what lets a handler be
 * injected by its generic type like any other bean, and lets a handler the application declares
 * itself take its place.
 */
final class CommandHandlerRegistrar implements BeanDefinitionRegistryPostProcessor {

    @Override
    public void postProcessBeanDefinitionRegistry(BeanDefinitionRegistry registry) {
        if (!(registry instanceof ConfigurableListableBeanFactory beans)) {
            return;
        }
        for (String name : beans.getBeanNamesForType(Aggregate.class, true, false)) {
            ResolvableType aggregate = aggregateType(beans, name);
            ResolvableType handler = ResolvableType.forClassWithGenerics(CommandHandler.class, aggregate.getGenerics());
            if (beans.getBeanNamesForType(handler, true, false).length > 0) {
                continue; // the application's own handler
            }
            RootBeanDefinition definition = new RootBeanDefinition(CommandHandler.class);
            definition.setTargetType(handler);
            definition.setInstanceSupplier(() -> handler(beans, name, aggregate));
            definition.setRole(BeanDefinition.ROLE_INFRASTRUCTURE);
            registry.registerBeanDefinition(name + "CommandHandler", definition);
        }
    }

    @Override
    public void postProcessBeanFactory(ConfigurableListableBeanFactory beanFactory) {
        // all done on the registry
    }

    /** {@code Aggregate<S, C, E>} with its three types, from the bean's factory method or class. */
    private static ResolvableType aggregateType(ConfigurableListableBeanFactory beans, String name) {
        Class<?> type = beans.getType(name, false); // also resolves a factory method's return type
        ResolvableType aggregate = beans.getMergedBeanDefinition(name) instanceof RootBeanDefinition root
                ? root.getResolvableType().as(Aggregate.class)
                : ResolvableType.NONE;
        if (!resolved(aggregate) && type != null) {
            aggregate = ResolvableType.forClass(type).as(Aggregate.class);
        }
        if (!resolved(aggregate)) {
            throw new IllegalStateException("cannot tell the state, command and event types of aggregate bean '" + name
                    + "' (of type " + (type == null ? "unknown" : type.getName())
                    + "): declare it with its own class or as Aggregate<S, C, E> with concrete types,"
                    + " or declare its CommandHandler bean yourself");
        }
        return aggregate;
    }

    private static boolean resolved(ResolvableType aggregate) {
        return aggregate != ResolvableType.NONE
                && aggregate.getGenerics().length == 3
                && !aggregate.hasUnresolvableGenerics();
    }

    @SuppressWarnings({"unchecked", "rawtypes"})
    private static CommandHandler<?, ?, ?> handler(
            ConfigurableListableBeanFactory beans, String name, ResolvableType aggregateType) {
        Aggregate aggregate = beans.getBean(name, Aggregate.class);
        ResolvableType codecType = ResolvableType.forClassWithGenerics(EventCodec.class, aggregateType.getGeneric(2));
        EventCodec codec = (EventCodec) beans.getBeanProvider(codecType).getIfUnique();
        if (codec == null) {
            String[] found = beans.getBeanNamesForType(codecType);
            Class<?> eventType = aggregateType.getGeneric(2).toClass();
            throw new IllegalStateException(
                    found.length == 0
                            ? "aggregate bean '" + name + "' needs a bean of type " + codecType
                                    + " to store its events, and there is none: declare one, for example"
                                    + " JacksonEventCodec.builder(" + eventType.getSimpleName()
                                    + ".class).register(\"TypeName\", SomeEvent.class).build()"
                            : "aggregate bean '" + name + "' needs one bean of type " + codecType + ", and there are "
                                    + found.length + " " + Arrays.toString(found)
                                    + ": mark one @Primary, or declare the aggregate's CommandHandler bean yourself");
        }
        CommandHandler.Builder builder = CommandHandler.builder(
                (Aggregate<Object, Command, Event>) aggregate, beans.getBean(EventStore.class), codec);
        beans.getBeanProvider(CommandHandlerCustomizer.class)
                .orderedStream()
                .forEach(c -> c.customize(aggregate, builder));
        return builder.build();
    }
}
