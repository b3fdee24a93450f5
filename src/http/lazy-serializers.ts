import { SerializerSelector } from '@fastify/fast-json-stringify-compiler';

type Factory = ReturnType<typeof SerializerSelector>;
type Serializer = ReturnType<ReturnType<Factory>>;

/**
 * Fastify's own response serializers (fast-json-stringify, which also drops any property a schema
 * does not declare), each compiled when its route first answers with that status rather than all at
 * start-up: compiling some 250 of them was about a fifth of the time to the first answer.
 */
export function lazySerializerFactory(): Factory {
  const factory = SerializerSelector();
  return (externalSchemas, options) => {
    const compile = factory(externalSchemas, options);
    return (route) => {
      let serialize: Serializer | undefined;
      return (data) => {
        serialize ??= compile(route);
        return serialize(data);
      };
    };
  };
}
